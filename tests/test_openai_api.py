"""`/v1/*` with the official `openai` client against a real `rag serve` app on loopback and a real Rag.

Plain and streamed answers, follow-ups, the raw SSE bytes, every error shape, and (against the
loopback model server of `tests/openai_server.py`) temperature and max_tokens reaching the model.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from rag.core.settings import Settings, load_settings
from tests.openai_server import OpenAIServer
from tests.uvicorn_thread import running
from ui.server import make_server

QUESTION = "Who led the U.S. delegation to Beijing?"
FOLLOW_UP = "What did she say about the talks?"
CITATION_FIELDS = {"number", "title", "outlet", "date", "source", "chunk_id", "quote"}
ERROR_FIELDS = {"message", "type", "param", "code"}


@pytest.fixture(scope="module")
def base_url(sample_index: Path) -> Iterator[str]:
    with running(make_server(Settings(index_dir=sample_index), "127.0.0.1", 0)) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", timeout=120, max_retries=0)


def _ask(client: openai.OpenAI, messages: list[dict[str, str]], **kwargs: Any) -> Any:
    return client.chat.completions.create(model="news-rag", messages=messages, **kwargs)  # type: ignore[arg-type]


def _streamed(client: openai.OpenAI, messages: list[dict[str, str]]) -> tuple[str, list[Any]]:
    chunks = list(_ask(client, messages, stream=True))
    return "".join(c.choices[0].delta.content or "" for c in chunks), chunks


def test_models_are_the_answer_modes(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["news-rag"]  # no LLM configured


def test_plain_answer_is_cited(client: openai.OpenAI) -> None:
    reply = _ask(client, [{"role": "user", "content": QUESTION}])
    content = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and reply.object == "chat.completion"
    assert "Daskal" in content and "[1]" in content
    text, sources = content.split("\n\n**Sources**\n")
    assert "[1]" in text and sources.startswith("- [1] *")
    citations = reply.model_extra["citations"]
    assert citations and CITATION_FIELDS <= set(citations[0])
    assert any("Daskal" in c["quote"] for c in citations)
    assert all(f"[{c['number']}]" in sources for c in citations)


def test_streamed_answer_matches_the_plain_one(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    text, chunks = _streamed(client, messages)
    plain = _ask(client, messages)
    assert text == plain.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    streamed_ids = [c["chunk_id"] for c in final.model_extra["citations"]]
    assert streamed_ids == [c["chunk_id"] for c in plain.model_extra["citations"]]
    assert all(c.choices[0].finish_reason is None and not (c.model_extra or {}).get("citations") for c in chunks[:-1])


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_follow_up_uses_the_earlier_messages(client: openai.OpenAI, stream: bool) -> None:
    first = _ask(client, [{"role": "user", "content": QUESTION}]).choices[0].message.content
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},  # clients add one; it is ignored
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first},
        {"role": "user", "content": FOLLOW_UP},
    ]
    content = _streamed(client, messages)[0] if stream else _ask(client, messages).choices[0].message.content
    alone = _ask(client, [{"role": "user", "content": FOLLOW_UP}]).choices[0].message.content
    assert "**Sources**" in content
    assert content != alone  # "she" was resolved from the history
    assert "Daskal" in content


def test_raw_stream_is_openai_sse(base_url: str) -> None:
    body = {"model": "news-rag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = raw.split("\n\n")
    assert events[-1] == "" and events[-2] == "data: [DONE]"
    payloads = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert all(e.startswith("data: {") and "\n" not in e for e in events[:-2])
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert payloads[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}
    assert payloads[-1]["citations"]
    for chunk in payloads:
        assert {"id", "object", "created", "model", "choices"} <= set(chunk)
        assert chunk["object"] == "chat.completion.chunk" and chunk["model"] == "news-rag"


# --- errors ---------------------------------------------------------------------------------------


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_FIELDS, body
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"messages": [{"role": "user", "content": "   "}]}, "messages", "invalid_question"),
        ({"messages": [{"role": "user", "content": "x" * 5000}]}, "messages", "invalid_question"),
        ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages", None),
        ({"messages": []}, "messages", None),
        ({"messages": [{"role": "user", "content": QUESTION}], "temperature": 7}, "temperature", None),
        ({"messages": "not a list"}, "messages", None),
    ],
    ids=["empty", "oversized", "no-user-message", "no-messages", "bad-temperature", "malformed"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_bad_requests_are_400_in_openai_shape(
    base_url: str, body: dict, param: str, code: str | None, stream: bool
) -> None:
    payload = {"model": "news-rag", "stream": stream, **body}
    response = httpx.post(f"{base_url}/v1/chat/completions", json=payload, timeout=60)
    error = _error(response, 400)
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["code"] == code


def test_the_client_raises_on_an_empty_question(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="empty"):
        _ask(client, [{"role": "user", "content": ""}])


def test_unknown_model_is_404(base_url: str) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": QUESTION}]}
    error = _error(httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=60), 404)
    assert error["code"] == "model_not_found" and error["param"] == "model"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("where", ["empty-index", "chroma-down"])
def test_missing_or_unreachable_index_is_503(tmp_path: Path, where: str) -> None:
    chroma = f"http://127.0.0.1:{_free_port()}" if where == "chroma-down" else None
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma)
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        for stream in (False, True):
            body = {"model": "news-rag", "stream": stream, "messages": [{"role": "user", "content": QUESTION}]}
            error = _error(httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60), 503)
            assert error["type"] == "server_error"
            assert error["code"] == ("index_unavailable" if chroma else "index_missing")
            assert ("Chroma server" if chroma else "rag ingest") in error["message"]


def test_auth_accepts_bearer_or_basic_and_refuses_in_openai_shape(sample_index: Path) -> None:
    settings = Settings(index_dir=sample_index, auth="alice:s3cret-pass")
    body = {"model": "news-rag", "messages": [{"role": "user", "content": QUESTION}]}
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        endpoint = f"{url}/v1/chat/completions"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer alice:s3cret-pass"}):
            error = _error(httpx.post(endpoint, json=body, headers=headers, timeout=60), 401)
            assert error["code"] == "invalid_api_key"
        assert httpx.get(f"{url}/v1/models", auth=("alice", "wrong"), timeout=60).status_code == 401
        assert httpx.post(endpoint, json=body, auth=("alice", "s3cret-pass"), timeout=120).status_code == 200
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()
        good = openai.OpenAI(base_url=f"{url}/v1", api_key="s3cret-pass", timeout=120, max_retries=0)
        text, _ = _streamed(good, body["messages"])
        assert "Daskal" in text


# --- with a model server --------------------------------------------------------------------------


def test_llm_model_gets_temperature_and_max_tokens(sample_index: Path, openai_server: OpenAIServer) -> None:
    openai_server.reply = lambda body: "Jen Daskal led the U.S. delegation to Beijing [1]."
    settings = load_settings(index_dir=sample_index, llm_model="test-model", llm="openai",
                             openai_base_url=openai_server.url)
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", timeout=120, max_retries=0)
        assert [m.id for m in client.models.list()] == ["news-rag", "news-rag-llm"]
        messages = [{"role": "user", "content": QUESTION}]
        reply = client.chat.completions.create(model="news-rag-llm", messages=messages, temperature=0.3, max_tokens=77)
        sent = openai_server.requests[-1]
        assert sent["temperature"] == 0.3 and sent["max_tokens"] == 77
        assert "Daskal" in reply.choices[0].message.content and reply.model_extra["citations"]
        chunks = list(client.chat.completions.create(model="news-rag-llm", messages=messages, stream=True,
                                                     temperature=1.5, max_completion_tokens=12))
        assert openai_server.requests[-1]["temperature"] == 1.5 and openai_server.requests[-1]["max_tokens"] == 12
        assert chunks[-1].model_extra["citations"]
        asked = len(openai_server.requests)
        extractive = client.chat.completions.create(model="news-rag", messages=messages, temperature=0.3)
        assert len(openai_server.requests) == asked  # news-rag never calls the model
        assert "Daskal" in extractive.choices[0].message.content
