"""`rag mcp` driven by the MCP SDK's own client: over stdio against a real `rag mcp` process and
index, and over streamable HTTP behind the same credentials as the HTTP API."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx2
import pytest
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from rag.core.errors import ConfigError
from rag.core.settings import Settings
from tests.conftest import REPO
from tests.uvicorn_thread import running
from ui.mcp_server import http_app

QUESTION = "Who led the U.S. delegation to Beijing?"


def _stdio(index_dir) -> StdioServerParameters:
    env = {"RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False", "RAG_NER_HELPER": "false", "PYTHONPATH": str(REPO),
           # The child does not inherit conftest's environment: pin the answer mode, or a machine with the
           # local model installed answers with the model and the wording below is no longer the reader's.
           "RAG_LLM": "extractive"}
    return StdioServerParameters(command=sys.executable, args=["-m", "ui.cli", "mcp"], env=env, cwd=str(REPO))


def test_the_three_tools_over_stdio(sample_index) -> None:
    async def session() -> dict:
        async with Client(_stdio(sample_index), read_timeout_seconds=120) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            search = await client.call_tool("search_news", {"query": QUESTION, "k": 3})
            dated = await client.call_tool("search_news", {"query": "Supreme Court", "since": "2025-01-01"})
            answer = await client.call_tool("ask_news", {"question": QUESTION, "as_of": "2024-01-31"})
            listing = await client.call_tool("list_articles", {})
            bad = await client.call_tool("ask_news", {"question": "   "})
            return {"tools": tools, "search": search, "dated": dated, "answer": answer, "listing": listing,
                    "bad": bad}

    got = asyncio.run(session())
    assert got["tools"] == {"search_news", "ask_news", "list_articles"}
    passages = got["search"].structured_content["passages"]
    assert len(passages) == 3
    assert {"text", "title", "outlet", "date", "source", "chunk_id"} <= set(passages[0])
    assert passages[0]["source"].endswith(".txt") and passages[0]["date"] == "2024-01-30"
    dated = got["dated"].structured_content["passages"]
    assert dated and all(p["date"] >= "2025-01-01" for p in dated)  # the aggregator's two later stories
    answer = got["answer"].structured_content
    assert not answer["abstained"] and "delegation" in answer["text"]
    assert answer["citations"][0]["source"].endswith(".txt")
    assert got["listing"].structured_content["count"] == 8
    assert got["bad"].is_error and "question is empty" in got["bad"].content[0].text


def test_http_needs_the_same_credentials_as_the_api(sample_rag) -> None:
    settings = Settings(index_dir=sample_rag.settings.index_dir, auth=SecretStr("reader:s3cret"))
    server = uvicorn.Server(uvicorn.Config(http_app(settings, "127.0.0.1", sample_rag), log_level="warning"))

    async def search(url: str, password: str) -> list:
        headers = {"Authorization": f"Bearer {password}"}
        async with (httpx2.AsyncClient(headers=headers, timeout=60) as http,
                    Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client):
            result = await client.call_tool("search_news", {"query": QUESTION, "k": 2})
            return result.structured_content["passages"]

    with running(server) as url:
        assert len(asyncio.run(search(url, "s3cret"))) == 2
        refused = httpx2.post(f"{url}/mcp", json={}, timeout=30)
        assert refused.status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - the SDK wraps the 401 in its own error types
            asyncio.run(search(url, "wrong"))


def test_http_refuses_the_network_without_credentials(sample_rag) -> None:
    with pytest.raises(ConfigError, match="RAG_AUTH"):
        http_app(Settings(index_dir=sample_rag.settings.index_dir), "0.0.0.0", sample_rag)
    assert os.environ.get("RAG_AUTH") is None
