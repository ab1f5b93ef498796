"""Real servers the tests start on loopback: `chroma run`, and `rag serve` processes in front of it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

START_TIMEOUT_S = 60.0
SERVE_TIMEOUT_S = 120.0


def chroma_cli() -> str:
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        pytest.skip("the chroma CLI is not installed")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    """`chroma run --path DATA --host 127.0.0.1 --port PORT`, restartable on the same data and port."""

    def __init__(self, data: Path, log: Path) -> None:
        self.data, self.log, self.port = data, log, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait for the heartbeat; return the seconds it took."""
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [chroma_cli(), "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
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


class RagServe:
    """`rag serve` on a free port with its own `RAG_INDEX_DIR` and a Chroma server's URL."""

    def __init__(self, index_dir: Path, chroma_url: str, log: Path, **env: str) -> None:
        self.port, self.log = free_port(), log
        variables = {**os.environ, "RAG_INDEX_DIR": str(index_dir), "RAG_CHROMA_URL": chroma_url, **env}
        with log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(self.port)],
                                         cwd=REPO, env=variables, stdout=out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self) -> RagServe:
        """Until `/api/health` answers at all (any status: an empty or unreachable index is a state)."""
        started = time.monotonic()
        while time.monotonic() - started < SERVE_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rag serve exited: {self.log.read_text()[-2000:]}")
            try:
                httpx.get(f"{self.url}/api/health", timeout=5)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"rag serve did not answer /api/health within {SERVE_TIMEOUT_S} s")

    def ask(self, question: str, history: list[dict] | None = None) -> httpx.Response:
        return httpx.post(f"{self.url}/api/ask", json={"question": question, "history": history or []}, timeout=120)

    def health(self) -> dict:
        return httpx.get(f"{self.url}/api/health", timeout=60).json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
