"""rag.generate.client against a real OpenAI-compatible server on loopback: answers, streams and every fault.

Timeouts are 1 s with one retry, so a failing call must give up within 2 s (plus slack).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from llama_index.core.llms import ChatMessage

from rag.core.errors import ConfigError, LLMUnavailableError
from rag.core.settings import Settings, load_settings
from rag.generate.client import ModelUsage, build_llm, chat, describe_llm, stream_chat
from tests.openai_server import DEFAULT_REPLY, OpenAIServer

pytest_plugins = ["tests.openai_fixtures"]  # harmless if conftest loads it too

SLACK_S = 1.0
DEADLINE_S = 1.0 * 2  # llm_timeout_s x (llm_max_retries + 1)


def _messages(question: str = "Who won?") -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content="Answer briefly."),
        ChatMessage(role="user", content=question),
    ]


def _ask(settings: Settings) -> str:
    return chat(build_llm(settings), _messages())


def _ask_streamed(settings: Settings) -> str:
    return "".join(stream_chat(build_llm(settings), _messages()))


CALLS = [pytest.param(_ask, id="chat"), pytest.param(_ask_streamed, id="stream")]


def _fails(call: Callable[[], object], budget_s: float = DEADLINE_S) -> str:
    """Run `call`, expect LLMUnavailableError within `budget_s` + slack; return its message."""
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as info:
        call()
    assert time.monotonic() - started < budget_s + SLACK_S
    return str(info.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_plain_answer(openai_server: OpenAIServer, openai_settings: Settings) -> None:
    assert _ask(openai_settings) == DEFAULT_REPLY


def test_request_carries_messages_and_model(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    openai_server.reply = lambda body: f"You asked: {body['messages'][-1]['content']}"
    assert chat(build_llm(openai_settings), _messages("Who led the delegation?")) == (
        "You asked: Who led the delegation?"
    )
    body = openai_server.requests[-1]
    assert body["model"] == "test-model"
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("system", "Answer briefly."),
        ("user", "Who led the delegation?"),
    ]


def test_streamed_answer_reassembles(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    deltas = list(stream_chat(build_llm(openai_settings), _messages()))
    assert len(deltas) > 1
    assert "".join(deltas) == DEFAULT_REPLY
    assert openai_server.requests[-1]["stream"] is True


def test_a_stream_hands_over_the_servers_token_counts(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    usage: list[ModelUsage] = []
    text = "".join(stream_chat(build_llm(openai_settings), _messages("Who led the delegation?"), usage.append))
    assert text == DEFAULT_REPLY
    assert openai_server.requests[-1]["stream_options"] == {"include_usage": True}
    assert usage == [ModelUsage(prompt_tokens=6, cached_tokens=0, completion_tokens=len(DEFAULT_REPLY.split(" ")))]


def test_a_stream_asked_for_log_probabilities_hands_each_token_over(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    llm = build_llm(openai_settings)
    pairs: list[tuple[str, float]] = []
    text = "".join(stream_chat(llm, _messages(), on_logprobs=pairs.extend))
    assert text == DEFAULT_REPLY
    assert openai_server.requests[-1]["logprobs"] is True and openai_server.requests[-1]["top_logprobs"] == 1
    assert "".join(token for token, _ in pairs) == DEFAULT_REPLY
    assert {value for _, value in pairs} == {openai_server.token_logprob}
    "".join(stream_chat(llm, _messages()))
    assert "logprobs" not in openai_server.requests[-1]  # asked for only by those who read them


def test_a_server_that_reports_no_usage_still_answers(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    openai_server.reports_usage = False
    usage: list[ModelUsage] = []
    assert "".join(stream_chat(build_llm(openai_settings), _messages(), usage.append)) == DEFAULT_REPLY
    assert usage == []


def test_slow_steady_stream_is_not_cut_by_the_deadline(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    openai_server.reply = lambda body: "one two three four five six seven"
    # 9 events, ~2.3 s in all: past the 2 s deadline, but never silent for the 1 s timeout
    openai_server.chunk_delay = 0.25
    assert _ask_streamed(openai_settings) == "one two three four five six seven"


@pytest.mark.parametrize("call", CALLS)
def test_hang_times_out(
    openai_server: OpenAIServer, openai_settings: Settings, call: Callable[[Settings], str]
) -> None:
    openai_server.fail_next("hang", times=5, seconds=30)
    assert "timed out after 2.0 s" in _fails(lambda: call(openai_settings))


def test_stream_that_stalls_mid_way_times_out(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    openai_server.chunk_delay = 30
    message = _fails(lambda: _ask_streamed(openai_settings), budget_s=1.0)
    assert "timed out after 1.0 s" in message


@pytest.mark.parametrize("call", CALLS)
def test_http_500_fails_after_retries(
    openai_server: OpenAIServer, openai_settings: Settings, call: Callable[[Settings], str]
) -> None:
    openai_server.fail_next("status", times=5, status=500)
    assert "HTTP 500 after 2 attempts" in _fails(lambda: call(openai_settings))
    assert len(openai_server.requests) == 2


def test_429_then_ok_succeeds_after_retry_after(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    openai_server.fail_next("status", times=1, status=429, retry_after=1)
    started = time.monotonic()
    assert _ask(openai_settings) == DEFAULT_REPLY
    assert time.monotonic() - started >= 0.9  # the client waited as Retry-After asked
    assert len(openai_server.requests) == 2


def test_429_exhausted(openai_server: OpenAIServer, openai_settings: Settings) -> None:
    openai_server.fail_next("status", times=5, status=429, retry_after=1)
    assert "HTTP 429 (rate limited) after 2 attempts" in _fails(lambda: _ask(openai_settings))


def test_the_client_is_the_only_retry_layer(openai_server: OpenAIServer) -> None:
    settings = load_settings(
        llm_model="test-model",
        openai_base_url=openai_server.url,
        llm_timeout_s=1.0,
        llm_max_retries=2,
    )
    openai_server.fail_next("status", times=10, status=503)
    assert "HTTP 503 after 3 attempts" in _fails(lambda: _ask(settings), budget_s=3.0)
    assert len(openai_server.requests) == 3  # not 2 x 3 with a second retry layer on top


@pytest.mark.parametrize("call", CALLS)
def test_malformed_response(
    openai_server: OpenAIServer, openai_settings: Settings, call: Callable[[Settings], str]
) -> None:
    openai_server.fail_next("malformed")
    assert "malformed response" in _fails(lambda: call(openai_settings))


@pytest.mark.parametrize("graceful", [False, True], ids=["socket-closed", "body-complete"])
def test_cut_stream_ends_early(
    openai_server: OpenAIServer, openai_settings: Settings, graceful: bool
) -> None:
    openai_server.fail_next("cut_stream", chunks=2, graceful=graceful)
    received: list[str] = []

    def consume() -> None:
        received.extend(stream_chat(build_llm(openai_settings), _messages()))

    assert "stream ended early" in _fails(consume)
    assert "".join(received) == "This is "  # the text before the cut did arrive


@pytest.mark.parametrize("call", CALLS)
def test_connection_refused_fails_fast(call: Callable[[Settings], str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    settings = load_settings(
        llm_model="m", openai_base_url=url, llm_timeout_s=1.0, llm_max_retries=1
    )
    message = _fails(lambda: call(settings), budget_s=1.0)
    assert message == f"model server at {url} refused the connection"


def test_abandoned_stream_does_not_block(
    openai_server: OpenAIServer, openai_settings: Settings
) -> None:
    stream: Iterator[str] = stream_chat(build_llm(openai_settings), _messages())
    assert next(stream)
    stream.close()
    assert _ask(openai_settings) == DEFAULT_REPLY


def test_no_llm_configured_is_a_config_error() -> None:
    settings = load_settings(openai_api_key=None, openai_base_url=None, llm_model=None)
    with pytest.raises(ConfigError):
        build_llm(settings)
    assert describe_llm(settings) == "extractive: no LLM configured"


def test_api_key_never_appears_in_messages_or_debug_logs(
    openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-test-SECRET-do-not-print"
    url = openai_server.url.replace("http://", "http://user:hunter2@")
    settings = load_settings(
        llm_model="test-model",
        openai_base_url=url,
        openai_api_key=secret,
        llm_timeout_s=1.0,
        llm_max_retries=0,
    )
    assert describe_llm(settings) == f"llm: test-model @ {openai_server.url}"
    openai_server.fail_next("status", status=401)
    with caplog.at_level(logging.DEBUG):
        message = _fails(lambda: _ask(settings), budget_s=1.0)
    assert "HTTP 401 (check OPENAI_API_KEY)" in message
    assert "hunter2" not in message  # (httpx's own INFO log does print the URL as given)
    assert secret not in message and secret not in caplog.text


def test_describe_openai_default() -> None:
    settings = load_settings(openai_api_key="sk-x", openai_base_url=None, llm_model=None)
    assert describe_llm(settings) == "llm: gpt-4o-mini @ https://api.openai.com/v1"
