"""`POST /api/ask` and the auth policy, against a real uvicorn on loopback and a real `Rag`.

The server runs in a thread on a socket we bind to 127.0.0.1:0, so the port is ours and there is
no window where another process could take it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from rag.core.errors import ConfigError
from rag.core.settings import Settings
from tests.uvicorn_thread import running
from ui.server import check_bind, is_loopback, make_server

QUESTION = "Who led the U.S. delegation to Beijing?"


@pytest.fixture(scope="module")
def base_url(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    feedback = tmp_path_factory.mktemp("feedback") / "feedback.jsonl"
    settings = Settings(index_dir=sample_index, feedback_file=feedback)
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        yield url


def test_ask_answers_with_a_cited_passage(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": QUESTION}, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"text", "citations", "abstained", "mode", "notice"}
    assert "Daskal" in body["text"]
    assert body["citations"], body
    assert any("Daskal" in c["quote"] for c in body["citations"])
    assert body["mode"] == "extractive"


def test_follow_up_uses_history(base_url: str) -> None:
    first = httpx.post(f"{base_url}/api/ask", json={"question": QUESTION}, timeout=120).json()
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["text"]}]
    response = httpx.post(
        f"{base_url}/api/ask", json={"question": "What did she say about the talks?", "history": history}, timeout=120
    )
    assert response.status_code == 200, response.text
    assert response.json()["citations"]


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_empty_or_oversized_question_is_400_with_a_message(base_url: str, question: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=60)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "empty" in detail or "limit" in detail


def test_malformed_history_is_rejected(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/api/ask", json={"question": QUESTION, "history": [{"role": "system", "content": "x"}]}, timeout=60
    )
    assert response.status_code == 422


def test_32_concurrent_clients_all_get_answers(base_url: str) -> None:
    def ask(_: int) -> httpx.Response:
        return httpx.post(f"{base_url}/api/ask", json={"question": QUESTION}, timeout=300)

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(ask, range(32)))
    assert [r.status_code for r in responses] == [200] * 32
    assert all(r.json()["citations"] for r in responses)


def test_page_is_served_at_root(base_url: str) -> None:
    response = httpx.get(f"{base_url}/", timeout=60)
    assert response.status_code == 200
    assert "<html" in response.text.lower()


# --- binding and auth ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_refuses_to_bind_beyond_loopback_without_auth(host: str, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    with pytest.raises(ConfigError, match="RAG_AUTH"):
        make_server(settings, host, 7860)


def test_malformed_auth_is_refused_without_echoing_it(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", auth="no-colon-secret")
    with pytest.raises(ConfigError) as info:
        check_bind(settings, "0.0.0.0")
    assert "no-colon-secret" not in str(info.value)


def test_auth_guards_page_and_api(sample_index: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(index_dir=sample_index, auth="alice:s3cret-pass")
    check_bind(settings, "0.0.0.0")  # allowed now that credentials are set
    with caplog.at_level("DEBUG"), running(make_server(settings, "127.0.0.1", 0)) as url:
        assert httpx.get(f"{url}/", timeout=60).status_code == 401
        assert httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=60).status_code == 401
        assert httpx.get(f"{url}/", auth=("alice", "wrong"), timeout=60).status_code == 401
        assert httpx.get(f"{url}/gradio_api/info", timeout=60).status_code == 401
        assert httpx.get(f"{url}/", auth=("alice", "s3cret-pass"), timeout=60).status_code == 200
        answered = httpx.post(
            f"{url}/api/ask", json={"question": QUESTION}, auth=("alice", "s3cret-pass"), timeout=120
        )
        assert answered.status_code == 200
    assert "s3cret-pass" not in caplog.text
