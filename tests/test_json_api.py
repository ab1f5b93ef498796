"""`/api/ask` streaming, `/api/articles`, `/api/ingest`, `/api/health` and `/docs`, against a real
uvicorn on loopback and a real Rag."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.core.settings import Settings, load_settings
from tests.uvicorn_thread import running
from ui.server import make_server
from ui.uploads import upload_cap

QUESTION = "Who led the U.S. delegation to Beijing?"
PILOTS = (
    "Harbor pilots in Zephyrine walk out over night shifts\n\n"
    "The harbor pilots of Zephyrine stopped guiding ships on Monday, their union said, after the port "
    "authority refused to cap night shifts at four a week. Captain Ilse Marrow, who leads the union, "
    "said the pilots would return once the cap was agreed.\n"
)


@pytest.fixture(scope="module")
def base_url(sample_index: Path) -> Iterator[str]:
    with running(make_server(Settings(index_dir=sample_index), "127.0.0.1", 0)) as url:
        yield url


def sse_events(raw: str) -> list[tuple[str, Any]]:
    """(event name, decoded data) for each event of a text/event-stream body."""
    found = []
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields.get("event", "message"), json.loads(fields["data"])))
    return found


def test_ask_streams_retrieval_deltas_citations_done(base_url: str) -> None:
    body = {"question": QUESTION, "stream": True}
    with httpx.stream("POST", f"{base_url}/api/ask", json=body, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "retrieval" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"}
    retrieval = events[0][1]
    assert retrieval["passages"] and retrieval["retrieval_ms"] > 0
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["text"]
    assert events[-2][1]["citations"] == done["citations"]
    plain = httpx.post(f"{base_url}/api/ask", json={"question": QUESTION}, timeout=120).json()
    assert plain == done
    # the reader reads the best retrieved articles whole, so a citation is of a retrieved article
    assert {c["source"] for c in done["citations"]} <= {p["source"] for p in retrieval["passages"]}


def test_ask_errors_come_before_the_stream(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": " ", "stream": True}, timeout=60)
    assert response.status_code == 400 and "empty" in response.json()["detail"]


def test_each_passage_is_one_source_with_every_outlet_under_it(base_url: str) -> None:
    """The wire sentence AP and Fox News both carried is one citation, not [1] AP and [2] Fox."""
    body = {"question": "What sanctions did the U.S. lift?"}
    answer = httpx.post(f"{base_url}/api/ask", json=body, timeout=120).json()
    quotes = [" ".join(c["quote"].split()) for c in answer["citations"]]
    assert len(quotes) == len(set(quotes)), quotes
    lifted = next(c for c in answer["citations"] if "quietly agreed to lift" in c["quote"])
    outlets = {lifted["outlet"], *(r["outlet"] for r in lifted["also_reported_by"])}
    assert {"Fox News", "The Associated Press"} <= outlets
    listed = {r["chunk_id"] for c in answer["citations"] for r in c["also_reported_by"]}
    assert not listed & {c["chunk_id"] for c in answer["citations"]}  # never both numbered and listed


def test_articles_lists_the_index(base_url: str) -> None:
    body = httpx.get(f"{base_url}/api/articles", timeout=60).json()
    assert body["count"] == len(body["articles"]) == 8
    assert {"article_id", "title", "outlet", "date", "byline", "source", "chunks"} == set(body["articles"][0])
    assert any(a["outlet"] == "The Associated Press" for a in body["articles"])


def test_health_reports_counts_and_mode(base_url: str) -> None:
    body = httpx.get(f"{base_url}/api/health", timeout=60).json()
    index = body["index"]
    assert index.pop("generation") >= 1  # the manifest's; `published` is a Chroma server's (tests/test_replicas.py)
    assert body["status"] == "ok" and index == {"reachable": True, "articles": 8, "chunks": 52, "error": "",
                                                "published": None, "problem": ""}
    assert body["mode"] == "extractive" and body["models"] == ["news-rag"]


def test_ingest_reports_per_file_and_keeps_names_to_their_base(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    files = [
        ("files", ("../../pilots.txt", PILOTS.encode(), "text/plain")),
        ("files", ("empty.md", b"", "text/markdown")),
        ("files", ("scan.pdf", b"%PDF-1.4", "application/pdf")),
        ("files", ("huge.txt", b"x" * (upload_cap(".txt") + 10), "text/plain")),
    ]
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        assert httpx.get(f"{url}/api/health", timeout=60).json()["status"] == "empty"
        response = httpx.post(f"{url}/api/ingest", files=files, timeout=120)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["saved"] == ["pilots.txt", "empty.md", "scan.pdf"]
        assert {p["file"] for p in report["problems"]} == {"empty.md", "scan.pdf", "huge.txt"}
        assert "Ingested" in report["summary"]
        assert (settings.index_dir / "uploads" / "pilots.txt").exists()
        assert not (tmp_path.parent / "pilots.txt").exists() and not (tmp_path / "pilots.txt").exists()
        titles = [a["title"] for a in httpx.get(f"{url}/api/articles", timeout=60).json()["articles"]]
        assert titles == ["Harbor pilots in Zephyrine walk out over night shifts"]
        answer = httpx.post(f"{url}/api/ask", json={"question": "Why did the harbor pilots stop?"}, timeout=120).json()
        assert answer["citations"][0]["source"] == "pilots.txt"


def test_ingest_takes_feeds_dumps_and_pdfs_and_names_bad_lines(tmp_path: Path) -> None:
    from tests.index_checks import FORMATS

    settings = Settings(index_dir=tmp_path / "index")
    files = [("files", (name, (FORMATS / name).read_bytes(), "application/octet-stream"))
             for name in ("harbor-authority.atom", "bad-lines.jsonl", "old-mill-bridge-epaper.pdf")]
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        report = httpx.post(f"{url}/api/ingest", files=files, timeout=120).json()
        assert report["saved"] == ["harbor-authority.atom", "bad-lines.jsonl", "old-mill-bridge-epaper.pdf"]
        assert [p["file"] for p in report["problems"]] == [
            "bad-lines.jsonl line 2", "bad-lines.jsonl line 4", "bad-lines.jsonl line 5"]
        assert report["summary"].startswith("Ingested 5 document(s)")
        listing = httpx.get(f"{url}/api/articles", timeout=60).json()
        assert listing["count"] == 5


def test_health_is_503_when_chroma_is_down(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(index_dir=tmp_path / "index", chroma_url=f"http://127.0.0.1:{port}")
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        response = httpx.get(f"{url}/api/health", timeout=60)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and not body["index"]["reachable"] and "Chroma" in body["index"]["error"]


def test_docs_describe_every_route(base_url: str) -> None:
    assert httpx.get(f"{base_url}/docs", timeout=60).status_code == 200
    paths = httpx.get(f"{base_url}/openapi.json", timeout=60).json()["paths"]
    routes = {"/api/ask", "/api/articles", "/api/ingest", "/api/health", "/v1/models", "/v1/chat/completions"}
    assert routes <= set(paths)


def test_docs_and_api_are_behind_auth(sample_index: Path) -> None:
    settings = Settings(index_dir=sample_index, auth="alice:s3cret-pass")
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        for path in ("/docs", "/openapi.json", "/api/articles", "/api/health"):
            assert httpx.get(f"{url}{path}", timeout=60).status_code == 401, path
        refused = httpx.get(f"{url}/api/articles", timeout=60)
        assert refused.headers["www-authenticate"].startswith("Basic") and "detail" in refused.json()
        assert httpx.get(f"{url}/docs", auth=("alice", "s3cret-pass"), timeout=60).status_code == 200
        bearer = {"Authorization": "Bearer s3cret-pass"}
        assert httpx.get(f"{url}/api/articles", headers=bearer, timeout=60).json()["count"] == 8


def test_llm_answer_streams_its_short_answer_then_the_checked_answer(sample_index: Path, openai_server: Any) -> None:
    draft = "Answer: Jen Daskal\nSentences: 1"
    openai_server.reply = lambda body: draft
    settings = load_settings(index_dir=sample_index, llm_model="test-model", llm="openai",
                             openai_base_url=openai_server.url)
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        response = httpx.post(f"{url}/api/ask", json={"question": QUESTION, "stream": True}, timeout=120)
    events = sse_events(response.text)
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) >= 2 and "".join(deltas) == "Jen Daskal"  # the short answer word by word, as written
    done = events[-1][1]
    assert done["mode"] == "llm" and "Daskal" in done["text"] and done["citations"]
