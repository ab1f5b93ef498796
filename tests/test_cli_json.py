"""`rag ask --json` and `rag articles` print what the HTTP API returns, for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.core.settings import Settings
from tests.uvicorn_thread import running
from ui.cli import main
from ui.server import make_server

QUESTION = "Who led the U.S. delegation to Beijing?"


@pytest.fixture()
def on_sample_index(sample_index: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from rag.api import default_rag

    monkeypatch.setenv("RAG_INDEX_DIR", str(sample_index))
    default_rag.cache_clear()
    yield sample_index
    default_rag.cache_clear()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_ask_json_is_the_api_answer(on_sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    printed = json.loads(run_cli(capsys, "ask", QUESTION, "--json"))
    with running(make_server(Settings(index_dir=on_sample_index), "127.0.0.1", 0)) as url:
        served = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=120).json()
    assert printed == served
    assert "Daskal" in printed["text"] and printed["citations"][0]["quote"]


def test_articles_lists_the_index(on_sample_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = json.loads(run_cli(capsys, "articles", "--json"))
    assert listing["count"] == len(listing["articles"]) > 0
    assert {"title", "outlet", "date", "source", "chunks"} <= set(listing["articles"][0])
    table = run_cli(capsys, "articles")
    assert table.strip().endswith(f"{listing['count']} articles")
    assert listing["articles"][0]["title"] in table


def test_articles_on_an_empty_index_says_none(capsys: pytest.CaptureFixture[str]) -> None:
    from rag.api import default_rag

    default_rag.cache_clear()
    assert run_cli(capsys, "articles").strip().endswith("0 articles")
