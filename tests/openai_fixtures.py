"""Pytest fixtures for the loopback OpenAI server; load with `pytest_plugins = ["tests.openai_fixtures"]`.

Why a plugin module rather than conftest code: tests that need a model server opt in by name,
and the server module stays importable on its own for manual experiments.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.core.settings import Settings, load_settings
from tests.openai_server import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh server per test: scripted replies and faults never leak between tests."""
    server = OpenAIServer(model="test-model")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openai_settings(openai_server: OpenAIServer) -> Settings:
    """Settings pointing at `openai_server`, with a 1 s timeout and one retry to keep tests fast."""
    return load_settings(
        llm_model="test-model",
        llm="openai", openai_base_url=openai_server.url,
        llm_timeout_s=1.0,
        llm_max_retries=1,
    )
