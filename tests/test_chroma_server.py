"""Chroma as a server: a real `chroma run` subprocess on loopback, restarted under a live `Rag`.

The index lives in the server (`RAG_CHROMA_URL`); the manifest stays in `RAG_INDEX_DIR`. The
same `Rag` object must keep answering after the server restarts on the same data path, whether
it was stopped cleanly (SIGTERM) or killed (SIGKILL).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.api import Rag
from rag.core.errors import RagError
from rag.core.settings import Settings
from tests.conftest import SAMPLE_CORPUS
from tests.index_checks import index_problems

QUESTION = "Who led the U.S. delegation to Beijing?"
START_TIMEOUT_S = 60.0


def _chroma_cli() -> str:
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        pytest.skip("the chroma CLI is not installed")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    """`chroma run --path DATA --host 127.0.0.1 --port PORT`, restartable on the same data and port."""

    def __init__(self, data: Path, log: Path) -> None:
        self.data, self.log, self.port = data, log, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait for the heartbeat; return the seconds it took."""
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [_chroma_cli(), "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT,
            )
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"chroma gave no heartbeat within {START_TIMEOUT_S} s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)


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
                                                          sample_rag: Rag) -> None:
    from rag.index.manifest import Manifest
    from rag.retrieval.hybrid import HybridRetriever
    from tests.index_checks import CountingStore

    store = CountingStore(chroma[1])
    replica = HybridRetriever(store, Manifest(chroma[1].manifest_path), sample_rag.embedder)
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


# --- replicas: two `rag serve` processes on one `chroma run` ---------------------------------------
QUOKKA = ("Quokka census on Rottnest\n\nRangers counted 12,400 quokkas on Rottnest Island this spring, "
          "the island authority said on Monday.\n")
QUOKKA_QUESTION = "How many quokkas did rangers count on Rottnest Island?"


def _replica(settings: Settings, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`rag serve` on a free port with the shared index dir and Chroma URL; waits for /api/health."""
    import os

    from tests.conftest import REPO

    port = _free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(settings.index_dir), "RAG_CHROMA_URL": str(settings.chroma_url)}
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while time.monotonic() - started < 120:
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("rag serve did not answer /api/health within 120 s")


def _ask(url: str, question: str) -> dict:
    response = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    response.raise_for_status()
    return response.json()


@pytest.mark.slow
def test_an_ingest_through_one_replica_is_answered_by_the_other(tmp_path: Path, sample_rag: Rag) -> None:
    from ingest.pipeline import ingest_path

    server = ChromaServer(tmp_path / "data", tmp_path / "chroma.log")
    server.start()
    replicas: list[subprocess.Popen[bytes]] = []
    try:
        settings = Settings(index_dir=tmp_path / "index", chroma_url=server.url)
        ingest_path(SAMPLE_CORPUS, settings, embedder=sample_rag.embedder, progress=False)
        (proc_a, a), (proc_b, b) = (_replica(settings, tmp_path / f"serve-{n}.log") for n in "ab")
        replicas += [proc_a, proc_b]
        assert "Daskal" in _ask(b, QUESTION)["text"]  # b has loaded its keyword snapshot
        assert not any(c["source"] == "quokka.txt" for c in _ask(b, QUOKKA_QUESTION)["citations"])

        upload = httpx.post(f"{a}/api/ingest", files=[("files", ("quokka.txt", QUOKKA.encode(), "text/plain"))],
                            timeout=120)
        assert upload.status_code == 200 and upload.json()["saved"] == ["quokka.txt"], upload.text

        answer = _ask(b, QUOKKA_QUESTION)
        assert "12,400" in answer["text"], answer
        assert answer["citations"][0]["source"] == "quokka.txt", answer
        assert index_problems(settings) == []
    finally:
        for proc in replicas:
            proc.terminate()
            proc.wait(timeout=30)
        server.stop(signal.SIGKILL)
