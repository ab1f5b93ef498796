"""32 concurrent streaming clients on `/v1/chat/completions`, each with its own question.

Extractive answers are deterministic, so each streamed reply must equal the single-threaded reply
to its own question, citations included; a reply that carries another client's answer counts as
mixed. The figures (requests, errors, mixed, wall time, p50/p95) are printed, and appended as
JSON to the file `RAG_RELIABILITY_OUT` names, if any.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from eval.metrics import percentile
from rag.core.settings import Settings
from tests.conftest import SAMPLE_QUESTIONS as LOAD_QUESTIONS
from tests.uvicorn_thread import running
from ui.server import make_server

# The load test's questions, then more, so each of the 32 clients asks its own.
QUESTIONS = (
    *LOAD_QUESTIONS,
    "Who is Wang Xiaohong?",
    "What did Matt Miller call the decision?",
    "How many overdose deaths were there in 2022?",
    "What is the Institute of Forensic Science?",
    "What did Biden and Xi agree in November?",
    "Why did the talks stop in 2022?",
    "Which House Speaker visited Taiwan?",
    "What did NBC News report about the first day of talks?",
    "What does the U.S. want China to do about fentanyl precursors?",
    "Where is the Diaoyutai State Guesthouse?",
    "What did the Supreme Court video say about presidential power?",
    "What is the Counternarcotics Working Group?",
    "Which chemicals are used to make fentanyl?",
    "What did the State Department say about the sanctions?",
    "Who shook hands before the meeting?",
    "What did officials say about the global fentanyl supply chain?",
)
CLIENTS = len(QUESTIONS)


@pytest.fixture(scope="module")
def base_url(sample_index: Path) -> Iterator[str]:
    with running(make_server(Settings(index_dir=sample_index), "127.0.0.1", 0)) as url:
        yield url


def _ask(url: str, question: str) -> tuple[str, tuple[str, ...]]:
    """One streamed reply: its text and the chunk ids it cites."""
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", timeout=120, max_retries=0)
    messages = [{"role": "user", "content": question}]
    stream = client.chat.completions.create(model="news-rag", stream=True, messages=messages)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    return text, tuple(c["chunk_id"] for c in (chunks[-1].model_extra or {}).get("citations") or ())


def test_32_streaming_clients_each_get_their_own_answer(base_url: str) -> None:
    assert len(set(QUESTIONS)) == CLIENTS == 32
    expected = {q: _ask(base_url, q) for q in QUESTIONS}  # one at a time
    assert len({text for text, _ in expected.values()}) >= 28, "too few distinct answers to notice mixing"

    def client(question: str) -> tuple[str, float, tuple[str, tuple[str, ...]] | Exception]:
        started = time.perf_counter()
        try:
            got: tuple[str, tuple[str, ...]] | Exception = _ask(base_url, question)
        except Exception as exc:  # noqa: BLE001 (counted and reported below)
            got = exc
        return question, time.perf_counter() - started, got

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, QUESTIONS))
    wall = time.perf_counter() - started
    errors = [f"{q!r}: {got!r}" for q, _, got in results if isinstance(got, Exception)]
    mixed = [q for q, _, got in results if not isinstance(got, Exception) and got != expected[q]]
    latencies = [s * 1000 for _, s, got in results if not isinstance(got, Exception)]
    figures = {
        "test": "openai-stream-32", "requests": len(results), "errors": len(errors), "mixed": len(mixed),
        "wall_s": round(wall, 2), "p50_ms": round(percentile(latencies, 50) or 0),
        "p95_ms": round(percentile(latencies, 95) or 0),
    }
    print(f"openai-stream-32: {json.dumps(figures)}")
    if out := os.environ.get("RAG_RELIABILITY_OUT"):
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(figures) + "\n")
    assert not errors, errors[:5]
    assert not mixed, mixed[:5]
