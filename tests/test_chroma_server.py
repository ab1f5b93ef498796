"""Chroma as a server: a real `chroma run` subprocess on loopback, restarted under a live `Rag`.

The index lives in the server (`RAG_CHROMA_URL`); the manifest stays in `RAG_INDEX_DIR`. The
same `Rag` object must keep answering after the server restarts on the same data path, whether
it was stopped cleanly (SIGTERM) or killed (SIGKILL). Replicas on other machines:
`tests/test_replicas.py`.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.api import Rag
from rag.core.errors import RagError
from rag.core.settings import Settings
from tests.conftest import SAMPLE_CORPUS
from tests.index_checks import index_problems
from tests.servers import ChromaServer

QUESTION = "Who led the U.S. delegation to Beijing?"


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory, sample_rag: Rag) -> Iterator[tuple[ChromaServer, Settings]]:
    from ingest.pipeline import ingest_path

    work = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(work / "data", work / "chroma.log")
    server.start()
    try:
        settings = Settings(index_dir=work / "index", chroma_url=server.url)
        report = ingest_path(SAMPLE_CORPUS, settings, embedder=sample_rag.embedder, progress=False)
        assert report.files == 5 and not report.errors, report
        yield server, settings
    finally:
        server.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def rag(chroma: tuple[ChromaServer, Settings], sample_rag: Rag) -> Rag:
    """One `Rag` for the whole module: it lives through every restart."""
    return Rag(chroma[1], embedder=sample_rag.embedder)


def test_ingest_and_ask_over_the_server(chroma: tuple[ChromaServer, Settings], rag: Rag) -> None:
    assert index_problems(chroma[1]) == []
    answer = rag.ask(QUESTION)
    assert "Daskal" in answer.text and answer.citations


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_same_rag_answers_after_a_server_restart(chroma: tuple[ChromaServer, Settings], rag: Rag, sig: int) -> None:
    server, settings = chroma
    before = rag.ask(QUESTION)
    server.stop(sig)
    server.start()
    after = rag.ask(QUESTION)
    assert after.text == before.text and after.citations == before.citations
    other = rag.ask("What did Daskal say about cooperation?")  # a new query embedding, too
    assert other.citations
    assert index_problems(settings) == []  # nothing lost across the restart


def test_a_new_replica_reads_only_its_hits_from_the_server(chroma: tuple[ChromaServer, Settings],
                                                          sample_rag: Rag, tmp_path: Path) -> None:
    from rag.index.committed import ServerIndex
    from rag.retrieval.hybrid import HybridRetriever
    from tests.index_checks import CountingStore

    store = CountingStore(chroma[1])
    replica = HybridRetriever(store, ServerIndex(store.real, tmp_path / "published", 2.0), sample_rag.embedder)
    passages = replica.retrieve(QUESTION, k=5)
    assert passages and store.all_chunk_calls == 0
    assert len(store.fetched_ids) <= replica.config.candidates < store.real.count()


def test_server_down_is_a_clear_error(chroma: tuple[ChromaServer, Settings], rag: Rag) -> None:
    server, _ = chroma
    server.stop()
    try:
        with pytest.raises(RagError, match="127.0.0.1"):
            rag.ask(QUESTION)
    finally:
        server.start()
