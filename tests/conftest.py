"""Shared fixtures: an isolated environment per test and one real index of the sample corpus.

The sample index is built once per session with the real embedder and a real on-disk Chroma;
tests that need their own index build one in `tmp_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = REPO / "data" / "corpus"
SAMPLE_QUESTIONS = (
    "Who led the U.S. delegation to Beijing?",
    "What did Daskal say about cooperation?",
    "When did the U.S.-China counternarcotics talks take place?",
    "What are fentanyl precursors?",
    "How many Americans die of drug overdoses each year?",
    "What did China agree to do about fentanyl?",
    "Which agencies were part of the delegation?",
    "What did the Chinese Ministry of Public Security say?",
    "Who is Jen Daskal?",
    "Where were the talks held?",
    "What happened at the San Francisco summit in November?",
    "Why did China suspend cooperation on drugs in 2022?",
    "What sanctions did the U.S. lift?",
    "Did Xi Jinping attend the meeting?",
    "What role does Mexico play in the fentanyl trade?",
    "What is the working group supposed to do?",
)  # questions about the sample corpus, for the load tests

pytest_plugins = ["tests.openai_fixtures"]

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["RAG_LLM"] = "extractive"  # also for session fixtures, made before `clean_environ` runs
# One embedder on every host: `auto` takes OpenVINO in bf16 where the CPU has it, whose vectors
# move in the fourth decimal with the batch they were computed in, so two ingests of the same
# files may rank near-ties apart (tests/test_replicas.py compares such indexes answer by answer).
# The int8 ONNX model is what `auto` takes elsewhere; OpenVINO has its own tests.
TEST_EMBEDDER = "onnx-int8"
os.environ["RAG_EMBEDDER"] = TEST_EMBEDDER


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's RAG_* or OPENAI_* settings, or writes to ./.rag."""
    for name in list(os.environ):
        if name.startswith(("RAG_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    # Answers are extractive unless a test asks for a model (`llm="openai"` or "local"): the
    # bundled model is installed here, and would otherwise answer every test's questions.
    monkeypatch.setenv("RAG_LLM", "extractive")
    monkeypatch.setenv("RAG_EMBEDDER", TEST_EMBEDDER)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus ingested once into a session-wide index directory."""
    from ingest.pipeline import ingest_path
    from rag.core.settings import load_settings

    index_dir = tmp_path_factory.mktemp("sample-index")
    report = ingest_path(SAMPLE_CORPUS, load_settings(index_dir=index_dir), progress=False)
    assert not report.errors, report.errors
    return index_dir


@pytest.fixture(scope="session")
def sample_rag(sample_index: Path):
    """A `Rag` over the sample index in extractive mode (no LLM configured)."""
    from rag.api import Rag
    from rag.core.settings import Settings

    return Rag(Settings(index_dir=sample_index))


@pytest.fixture(scope="session")
def newswire_rag(tmp_path_factory: pytest.TempPathFactory):
    """The 232-story newswire set in its own index: the near-misses five articles cannot show."""
    from eval.goldset import load_set
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.core.settings import Settings

    index_dir = tmp_path_factory.mktemp("newswire-index")
    report = ingest_path(load_set("newswire").corpus_dir, Settings(index_dir=index_dir), progress=False)
    assert not report.errors, report.errors
    return Rag(Settings(index_dir=index_dir))
