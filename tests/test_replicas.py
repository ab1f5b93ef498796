"""Replicas on other machines: each with its own, empty `RAG_INDEX_DIR`, sharing only a `chroma run`.

Real `chroma run` on loopback, real ingest with the real embedder. The fast tests keep each case in
its own collection on one server. What is checked: a replica ranks and answers as the ingesting
machine, with the sentence vectors it reads identical to the manifest's; an ingest and a deletion
reach a replica that is already answering; a second ingester is refused; and a server that is
down, wiped, never given a published index, or missing sentence vectors is said so, never
answered with "The corpus does not say.". The slow test runs it all as processes: one
`chroma run`, the ingester's `rag serve` and two replicas' (`rag serve`) over HTTP.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ingest.pipeline import ingest_path
from rag.api import Rag
from rag.core.errors import ConfigError, IndexMissingError, IndexUnavailableError
from rag.core.settings import Settings
from rag.index.committed import LocalIndex
from rag.index.manifest import Manifest
from rag.index.published import current
from rag.index.store import PUBLISHED_SUFFIX, SENTENCES_SUFFIX, ChunkStore
from rag.retrieval.hybrid import HybridRetriever
from tests.conftest import REPO, SAMPLE_CORPUS
from tests.index_checks import index_problems
from tests.servers import ChromaServer, RagServe
from ui.api_routes import api_router

QUESTION = "Who led the U.S. delegation to Beijing?"
QUOKKA = ("Quokka census on Rottnest\n\nRangers counted 12,400 quokkas on Rottnest Island this spring, "
          "the island authority said on Monday.\n")
QUOKKA_QUESTION = "How many quokkas did rangers count on Rottnest Island?"
_names = itertools.count()


def _gold() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


@dataclass
class Cluster:
    """One `chroma run`; each test ingests into its own collection from its own ingester folder."""

    server: ChromaServer
    root: Path
    embedder: Any

    def ingester(self, corpus: Path | None = None) -> tuple[Settings, Path]:
        """A new collection with the sample corpus (a copy, so a test may change it) ingested."""
        name = f"news-{next(_names)}"
        folder = self.root / name
        shutil.copytree(corpus or SAMPLE_CORPUS, folder / "corpus")
        settings = Settings(index_dir=folder / "ingester", chroma_url=self.server.url, collection=name)
        report = ingest_path(folder / "corpus", settings, embedder=self.embedder, progress=False)
        assert report.files and not report.errors, report
        return settings, folder / "corpus"

    def replica(self, ingester: Settings, name: str = "replica", **settings: Any) -> Rag:
        """A process on another machine: the same server and collection, its own empty index folder."""
        folder = ingester.index_dir.parent / f"{name}-{next(_names)}"
        return Rag(Settings(index_dir=folder, chroma_url=ingester.chroma_url, collection=ingester.collection,
                            **settings), embedder=self.embedder)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, sample_rag: Rag) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("replicas")
    server = ChromaServer(work / "data", work / "chroma.log")
    server.start()
    try:
        yield Cluster(server, work, sample_rag.embedder)
    finally:
        server.stop(signal.SIGKILL)


def _ranks(passages: list[Any]) -> list[tuple[Any, ...]]:
    return [(p.chunk_id, p.dense_rank, p.keyword_rank, p.fused_rank, p.score, p.dense_similarity) for p in passages]


def _answer(answer: Any) -> tuple[str, list[tuple[str, str]], bool]:
    """What a reader sees; chunk ids name the file's path, which differs between two copies of a corpus."""
    return answer.text, [(c.source, c.quote) for c in answer.citations], answer.abstained


def _converse(ask: Callable[[str, list[dict[str, str]]], Any], text: Callable[[Any], str],
              item: dict[str, Any]) -> Any:
    """A gold item's answer: its earlier turns asked first, as the eval runner does (`eval.runner`)."""
    history: list[dict[str, str]] = []
    for turn in item["history"]:
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": text(ask(turn, history))}]
    return ask(item["question"], history)


def _asked_on(item: dict[str, Any]) -> date | None:
    """A fixed day for some questions, so the time-aware article ranking is compared too."""
    return date(2024, 2, 1) if item["id"].endswith(("1", "3", "5")) else None


def _health(rag: Rag) -> tuple[int, dict[str, Any]]:
    app = FastAPI()
    app.include_router(api_router(rag))
    response = TestClient(app).get("/api/health")
    return response.status_code, response.json()


def _client(cluster: Cluster) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.HttpClient(host="127.0.0.1", port=cluster.server.port,
                               settings=ChromaSettings(anonymized_telemetry=False))


def test_a_replica_with_an_empty_folder_ranks_and_answers_as_the_ingester(cluster: Cluster, sample_rag: Rag) -> None:
    settings, _ = cluster.ingester()
    store = ChunkStore(settings)
    manifest = Manifest(settings.manifest_path)
    ingester = HybridRetriever(store, LocalIndex(manifest, store), cluster.embedder)
    replica = cluster.replica(settings)
    assert not replica.settings.index_dir.exists()

    for item in _gold():
        question, day = item["question"], _asked_on(item)
        assert _ranks(replica.retrieve(question, 8, as_of=day)) == _ranks(ingester.retrieve(question, 8, None, day))
        # the single-machine index of the same files (embedded Chroma) answers the same
        mine, single = (_converse(rag.ask, lambda a: a.text, item) for rag in (replica, sample_rag))
        assert _answer(mine) == _answer(single), question

    ids = [str(i) for i in ingester.snapshot().chunk_ids]
    theirs, mine = replica.committed.sentences(ids), manifest.sentences(ids)
    assert theirs.keys() == mine.keys() and len(mine) == len(ids)
    for cid in ids:
        assert np.array_equal(theirs[cid].spans, mine[cid].spans)
        assert np.array_equal(theirs[cid].vectors, mine[cid].vectors)
    assert [dataclasses.astuple(a) for a in replica.articles()] == [tuple(row) for row in manifest.articles()]
    assert replica.committed.notice() == ""
    status, health = _health(replica)
    assert status == 200 and health["status"] == "ok", health
    assert health["index"]["generation"] == health["index"]["published"] == manifest.generation()


def test_an_ingest_and_a_deletion_reach_a_running_replica(cluster: Cluster) -> None:
    settings, corpus = cluster.ingester()
    replica = cluster.replica(settings, replica_refresh_s=0.5)
    assert "Daskal" in replica.ask(QUESTION).text
    before = replica.committed.check().generation
    assert not any(c.source == "quokka.txt" for c in replica.ask(QUOKKA_QUESTION).citations)

    (corpus / "quokka.txt").write_text(QUOKKA)
    assert ingest_path(corpus, settings, embedder=cluster.embedder, progress=False).files == 1
    answer = replica.ask(QUOKKA_QUESTION)
    assert "12,400" in answer.text and answer.citations[0].source == "quokka.txt", answer
    assert replica.committed.check().generation > before

    # A new version: committed after its own batch, while the replica still answers from the
    # published generation, whose chunks (the old version's) must still be there.
    (corpus / "quokka.txt").write_text(QUOKKA.replace("12,400", "13,900"))
    (corpus / "zz-later.txt").write_text("Ferry timetable\n\nThe harbour ferry runs every hour from May.\n")
    during: list[str] = []

    def ask_during(name: str) -> None:
        if name == "zz-later.txt":  # quokka.txt, just before it, is committed in its own batch
            during.append(replica.ask(QUOKKA_QUESTION).text)

    one_per_batch = settings.model_copy(update={"ingest_batch_chunks": 1})
    assert ingest_path(corpus, one_per_batch, embedder=cluster.embedder, progress=False, on_file=ask_during).files == 2
    assert len(during) == 1 and "12,400" in during[0], during
    assert "13,900" in replica.ask(QUOKKA_QUESTION).text
    assert index_problems(settings) == []  # the old version's chunks are gone, after the publication
    assert ChunkStore(settings).sentence_count() == Manifest(settings.manifest_path).sentence_count()

    (corpus / "quokka.txt").unlink()
    assert ingest_path(corpus, settings, embedder=cluster.embedder, progress=False).removed == 1
    answer = replica.ask(QUOKKA_QUESTION)
    assert not any(c.source == "quokka.txt" for c in answer.citations) and "13,900" not in answer.text
    assert "quokka.txt" not in {a.source for a in replica.articles()}


def test_a_second_ingester_is_refused_and_changes_nothing(cluster: Cluster, tmp_path: Path) -> None:
    settings, _ = cluster.ingester()
    before, chunks = current(ChunkStore(settings)), ChunkStore(settings).count()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "quokka.txt").write_text(QUOKKA)
    other = Settings(index_dir=tmp_path / "other-machine", chroma_url=settings.chroma_url,
                     collection=settings.collection)
    with pytest.raises(ConfigError, match="another ingester"):
        ingest_path(tmp_path / "other", other, embedder=cluster.embedder, progress=False)
    assert current(ChunkStore(settings)) == before and ChunkStore(settings).count() == chunks


def test_server_down_is_a_clear_error_on_a_replica(cluster: Cluster) -> None:
    settings, _ = cluster.ingester()
    replica = cluster.replica(settings, replica_refresh_s=0)
    assert "Daskal" in replica.ask(QUESTION).text
    cluster.server.stop()
    try:
        with pytest.raises(IndexUnavailableError, match=cluster.server.url):
            replica.ask(QUESTION)
        status, health = _health(replica)
        assert status == 503 and health["status"] == "unavailable" and cluster.server.url in health["index"]["error"]
    finally:
        cluster.server.start()
    assert "Daskal" in replica.ask(QUESTION).text


def test_a_wiped_server_is_an_error_and_the_next_ingest_rebuilds_it(cluster: Cluster) -> None:
    settings, corpus = cluster.ingester()
    replica = cluster.replica(settings, replica_refresh_s=0)
    expected = _answer(replica.ask(QUESTION))
    client = _client(cluster)
    for suffix in ("", SENTENCES_SUFFIX, PUBLISHED_SUFFIX):
        client.delete_collection(settings.collection + suffix)

    for _ in range(2):  # the first call finds the collections gone, the next one an empty server
        with pytest.raises(IndexMissingError, match="wiped or reset"):
            replica.ask(QUESTION)
    status, health = _health(replica)
    assert status == 503 and "wiped or reset" in health["index"]["error"]

    report = ingest_path(corpus, settings, embedder=cluster.embedder, progress=False)
    assert report.files == 5, report  # the manifest's files, gone from the server, are written again
    assert _answer(replica.ask(QUESTION)) == expected


def test_an_index_never_published_says_so_until_the_ingester_publishes(cluster: Cluster) -> None:
    settings, corpus = cluster.ingester()
    client = _client(cluster)
    client.delete_collection(settings.collection + PUBLISHED_SUFFIX)  # as an index written before publishing
    client.delete_collection(settings.collection + SENTENCES_SUFFIX)
    replica = cluster.replica(settings, replica_refresh_s=0)
    with pytest.raises(IndexMissingError, match="no published keyword index"):
        replica.ask(QUESTION)

    report = ingest_path(corpus, settings, embedder=cluster.embedder, progress=False)
    assert report.files == 0 and report.skipped == 5  # nothing re-embedded: published from the manifest
    answer = replica.ask(QUESTION)
    assert "Daskal" in answer.text and not answer.notice
    assert ChunkStore(settings).sentence_count() == Manifest(settings.manifest_path).sentence_count() > 0


def test_missing_sentence_vectors_are_a_notice_and_a_health_problem(cluster: Cluster) -> None:
    settings, corpus = cluster.ingester()
    replica = cluster.replica(settings, replica_refresh_s=0)
    store = ChunkStore(settings)
    store.delete_sentences(sorted(store.sentence_ids()))

    answer = replica.ask(QUESTION)
    assert "Daskal" in answer.text and "no sentence vectors" in answer.notice, answer
    status, health = _health(replica)
    assert status == 200 and health["status"] == "degraded"
    assert "no sentence vectors" in health["index"]["problem"] and "0 sentence rows" in health["index"]["problem"]

    ingest_path(corpus, settings, embedder=cluster.embedder, progress=False)  # restores them
    status, health = _health(replica)
    assert health["status"] == "ok" and not health["index"]["problem"], health
    assert not replica.ask(QUESTION).notice


# --- as processes: one `chroma run`, the ingester's `rag serve`, two replicas' -----------------------
@pytest.mark.slow
def test_an_ingester_and_two_replicas_with_empty_folders(tmp_path: Path) -> None:
    server = ChromaServer(tmp_path / "data", tmp_path / "chroma.log")
    server.start()
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    nodes: list[RagServe] = []
    try:
        ingested = _cli(["ingest", str(corpus)], tmp_path / "ingester", server.url)
        assert ingested.returncode == 0, ingested.stderr
        nodes += [RagServe(tmp_path / name, server.url, tmp_path / f"{name}.log")
                  for name in ("ingester", "replica-a", "replica-b")]
        ingester, *replicas = [node.wait() for node in nodes]
        assert not any((tmp_path / "replica-a").glob("*.sqlite3"))

        for item in _gold():
            answers = [_converse(lambda q, h, n=node: n.ask(q, h).json(), lambda a: a["text"], item) for node in nodes]
            seen = [(a["text"], a["citations"], a["abstained"], a["notice"]) for a in answers]
            assert seen[1] == seen[0] and seen[2] == seen[0], item["question"]
        assert all("Daskal" in node.ask(QUESTION).json()["text"] for node in replicas)

        (corpus / "quokka.txt").write_text(QUOKKA)
        started = time.monotonic()
        assert _cli(["ingest", str(corpus)], tmp_path / "ingester", server.url).returncode == 0
        ingest_done = time.monotonic()
        for replica in replicas:
            answer = _until(lambda r=replica: r.ask(QUOKKA_QUESTION).json(), lambda a: "12,400" in a["text"])
            assert answer["citations"][0]["source"] == "quokka.txt", answer
        reached = time.monotonic()
        assert reached - ingest_done <= Settings().replica_refresh_s + 10, (started, ingest_done, reached)
        for node in (ingester, *replicas):
            health = node.health()
            assert health["status"] == "ok" and health["index"]["published"] == health["index"]["generation"]

        server.stop()
        for replica in replicas:
            response = replica.ask(QUESTION)
            assert response.status_code == 503 and server.url in response.json()["detail"], response.text
            assert replica.health()["status"] == "unavailable"
    finally:
        for node in nodes:
            node.stop()
        server.stop(signal.SIGKILL)


def _cli(args: list[str], index_dir: Path, chroma_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_CHROMA_URL": chroma_url}
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], check=False, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def _until(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout_s: float = 60.0) -> Any:
    started = time.monotonic()
    while True:
        value = fetch()
        if done(value) or time.monotonic() - started > timeout_s:
            return value
        time.sleep(0.2)
