"""Load: 32 concurrent HTTP clients against the real API (uvicorn on loopback) over the sample index.

Extractive answers are deterministic, so each response must equal the single-threaded answer to
its own question: same text, same citations. A mixed-up response (another client's answer, or
citations from another question) fails the comparison. Figures (requests, throughput, p50/p95)
are printed and, when `RAG_RELIABILITY_OUT` names a file, appended there as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from rag.api import Rag
from tests.conftest import SAMPLE_QUESTIONS as QUESTIONS
from tests.uvicorn_thread import running_api

CLIENTS = 32



def fingerprint(answer: dict[str, Any]) -> tuple[str, tuple[tuple[int, str, str], ...]]:
    """What must not differ between a concurrent and a single-threaded answer."""
    cites = tuple((c["number"], c["chunk_id"], c["quote"]) for c in answer["citations"])
    return answer["text"], cites


@dataclass
class LoadResult:
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        pct = (lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000)) if lat else (lambda q: None)
        return {
            "clients": self.clients, "requests": len(lat), "errors": len(self.errors),
            "mixed_answers": len(self.mixed), "seconds": round(self.seconds, 1),
            "throughput_rps": round(len(lat) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(statistics.median(lat) * 1000) if lat else None, "p95_ms": pct(0.95),
            "max_ms": round(lat[-1] * 1000) if lat else None,
        }


def run_load(base_url: str, expected: dict[str, Any], *, seconds: float, per_client: int) -> LoadResult:
    """Each client asks the questions in its own order until `per_client` answers or `seconds` pass."""
    result = LoadResult(CLIENTS)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            for turn in range(per_client):
                if time.monotonic() > stop_at:
                    return
                question = QUESTIONS[(index + turn * 5) % len(QUESTIONS)]
                started = time.monotonic()
                try:
                    response = http.post("/api/ask", json={"question": question})
                except httpx.HTTPError as exc:
                    with lock:
                        result.errors.append(f"client {index}: {type(exc).__name__}: {exc}")
                    continue
                took = time.monotonic() - started
                with lock:
                    if response.status_code != 200:
                        result.errors.append(f"client {index}: HTTP {response.status_code} {response.text[:200]}")
                    elif fingerprint(response.json()) != expected[question]:
                        result.mixed.append(
                            f"client {index}: answer to {question!r} differs from the single-threaded one"
                        )
                    else:
                        result.latencies.append(took)

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    result.seconds = time.monotonic() - started
    return result


def _record(name: str, figures: dict[str, Any]) -> None:
    print(f"{name}: {json.dumps(figures)}")
    out = os.environ.get("RAG_RELIABILITY_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": name, **figures}) + "\n")


@pytest.fixture(scope="module")
def api(sample_rag: Rag) -> Iterator[tuple[str, dict[str, Any]]]:
    expected = {q: fingerprint(sample_rag.ask(q).to_dict()) for q in QUESTIONS}  # single-threaded
    with running_api(sample_rag) as url:
        yield url, expected


def test_32_clients_get_their_own_answers(api: tuple[str, dict[str, Any]]) -> None:
    _assert_clean_load(api, seconds=5, label="load-fast")


@pytest.mark.slow
def test_32_clients_for_20_seconds(api: tuple[str, dict[str, Any]]) -> None:
    _assert_clean_load(api, seconds=20, label="load-20s")


def _assert_clean_load(api: tuple[str, dict[str, Any]], seconds: float, label: str) -> None:
    url, expected = api
    result = run_load(url, expected, seconds=seconds, per_client=10_000)
    _record(label, result.figures())
    assert not result.errors, result.errors[:5]
    assert not result.mixed, result.mixed[:5]
    assert len(result.latencies) >= CLIENTS  # every client got at least one answer in time
