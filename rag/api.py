"""`Rag`: the one object the chat page, the CLI, the HTTP API and the eval harness talk to."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from rag.config import Settings, load_settings
from rag.types import Answer, ArticleInfo, Passage, SearchFilter, TextDelta

History = list[dict[str, str]]


class Rag:
    """Answers questions from one index. Build once and reuse: it holds the models and indexes."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()

    def ask(
        self, question: str, history: History | None = None, *, filters: SearchFilter | None = None
    ) -> Answer:
        """Answer with `[n]` markers resolving to `Answer.citations`; abstain when unsupported.

        `history` is a list of `{"role": "user"|"assistant", "content": ...}` messages; a follow-up
        such as "What did she say about it?" is rewritten into a stand-alone question first.
        Raises `InvalidQuestionError` for empty or oversized questions and `IndexMissingError`
        when nothing has been ingested.
        """
        raise NotImplementedError

    def ask_stream(
        self, question: str, history: History | None = None, *, filters: SearchFilter | None = None
    ) -> Iterator[TextDelta | Answer]:
        """Yield zero or more `TextDelta`s, then exactly one final `Answer` (same as `ask`)."""
        raise NotImplementedError

    def retrieve(
        self, question: str, k: int | None = None, *, filters: SearchFilter | None = None
    ) -> list[Passage]:
        """Hybrid (dense + BM25, RRF) top-`k` passages; near-duplicates collapse into one hit."""
        raise NotImplementedError

    def articles(self) -> list[ArticleInfo]:
        """Every ingested article, for listings and filters."""
        raise NotImplementedError

    def mode_label(self) -> str:
        """"extractive" or "llm: <model>", for the chat page's badge."""
        raise NotImplementedError


@functools.cache
def default_rag() -> Rag:
    """The process-wide instance used by `rag.ask`, built from `RAG_*` settings on first use."""
    return Rag()
