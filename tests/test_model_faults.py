"""Model-server faults seen from `Rag.ask`, against the loopback OpenAI server in tests/openai_server.py.

`tests/test_llm_client.py` covers each fault at the client (`rag.generate.client`); here the question is what
the user gets: within a bounded time, either a generated answer or the extractive answer with a
notice that names what failed.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from rag.api import Rag
from rag.core.settings import load_settings
from rag.core.types import Answer, TextDelta
from tests.openai_server import OpenAIServer

QUESTION = "Who led the U.S. delegation to Beijing?"
REPLY = "Answer: Jen Daskal\nSentences: 1"
TIMEOUT_S, RETRIES = 1.0, 1
DEADLINE_S = TIMEOUT_S * (RETRIES + 1)  # what rag.generate.client allows the first chunk
SLACK_S = 15.0  # retrieval and the extractive answer on a loaded 2-core machine


def _rag(index: Path, base_url: str, embedder: object) -> Rag:
    settings = load_settings(index_dir=index, llm_model="test-model", llm="openai", openai_base_url=base_url,
                             llm_timeout_s=TIMEOUT_S, llm_max_retries=RETRIES)
    return Rag(settings, embedder=embedder)


def _timed_ask(rag: Rag, question: str = QUESTION, history: list | None = None) -> tuple[Answer, float, list[str]]:
    started = time.monotonic()
    events = list(rag.ask_stream(question, history))
    elapsed = time.monotonic() - started
    answer = events[-1]
    assert isinstance(answer, Answer)
    return answer, elapsed, [e.text for e in events[:-1] if isinstance(e, TextDelta)]


def _assert_fell_back(answer: Answer, failure: str) -> None:
    assert answer.mode == "extractive", answer
    assert "Model server failed" in answer.notice, answer.notice
    assert re.search(failure, answer.notice), answer.notice
    assert "Daskal" in answer.text and answer.citations


@pytest.fixture
def rag(sample_index: Path, sample_rag: Rag, openai_server: OpenAIServer) -> Rag:
    openai_server.reply = lambda body: REPLY
    return _rag(sample_index, openai_server.url, sample_rag.embedder)


def test_connection_refused(sample_index: Path, sample_rag: Rag) -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        answer, elapsed, _ = _timed_ask(_rag(sample_index, url, sample_rag.embedder))
    _assert_fell_back(answer, "refused the connection")
    assert elapsed < DEADLINE_S + SLACK_S


def test_hang_past_the_timeout(rag: Rag, openai_server: OpenAIServer) -> None:
    openai_server.fail_next("hang", times=RETRIES + 1, seconds=30)
    answer, elapsed, _ = _timed_ask(rag)
    _assert_fell_back(answer, r"timed out after \d")
    assert elapsed < DEADLINE_S + SLACK_S


def test_429_with_retry_after_then_success(rag: Rag, openai_server: OpenAIServer) -> None:
    openai_server.fail_next("status", times=1, status=429, retry_after=1)
    answer, elapsed, _ = _timed_ask(rag)
    assert answer.mode == "llm" and not answer.notice, answer
    assert "Daskal" in answer.text and answer.citations
    assert len(openai_server.requests) == 2
    assert 1.0 <= elapsed < DEADLINE_S + SLACK_S  # waited for Retry-After, no longer than bounded


def test_http_500_on_every_attempt(rag: Rag, openai_server: OpenAIServer) -> None:
    openai_server.fail_next("status", times=RETRIES + 1, status=500)
    answer, elapsed, _ = _timed_ask(rag)
    _assert_fell_back(answer, "HTTP 500")
    assert len(openai_server.requests) == RETRIES + 1
    assert elapsed < DEADLINE_S + SLACK_S


def test_malformed_json(rag: Rag, openai_server: OpenAIServer) -> None:
    openai_server.fail_next("malformed", times=RETRIES + 1)
    answer, elapsed, _ = _timed_ask(rag)
    _assert_fell_back(answer, "malformed|error|ended early")
    assert elapsed < DEADLINE_S + SLACK_S


@pytest.mark.parametrize("graceful", [False, True], ids=["socket-dropped", "body-ended-without-finish"])
def test_stream_cut_mid_answer(rag: Rag, openai_server: OpenAIServer, graceful: bool) -> None:
    openai_server.fail_next("cut_stream", times=1, chunks=3, graceful=graceful)
    answer, elapsed, deltas = _timed_ask(rag)
    _assert_fell_back(answer, "ended early|dropped")
    assert "".join(deltas).startswith("Jen Daskal")  # the partial short answer did stream first
    assert elapsed < DEADLINE_S + SLACK_S


def test_follow_up_rewrite_failure_falls_back_to_the_rule(rag: Rag, openai_server: OpenAIServer) -> None:
    """Every call fails: the follow-up is rewritten by rule and the answer is extractive."""
    openai_server.fail_next("status", times=2 * (RETRIES + 1), status=503)
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Jen Daskal [1]."}]
    answer, elapsed, _ = _timed_ask(rag, "What did she say about the talks?", history)
    assert answer.mode == "extractive" and "HTTP 503" in answer.notice
    assert answer.rewritten_question != "What did she say about the talks?"
    assert elapsed < 2 * DEADLINE_S + SLACK_S


def test_rewrite_failure_is_named_even_when_generation_recovers(rag: Rag, openai_server: OpenAIServer) -> None:
    openai_server.fail_next("status", times=RETRIES + 1, status=503)  # only the rewrite call fails
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Jen Daskal [1]."}]
    answer, _, _ = _timed_ask(rag, "What did she say about the talks?", history)
    assert answer.mode == "llm"
    assert "rewritten by rule" in answer.notice
