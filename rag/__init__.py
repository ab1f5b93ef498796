"""Question answering over a folder of news articles, with cited passages.

    import rag
    answer = rag.ask("Who won the election?", as_of="2024-01-30")
    print(answer.text, answer.citations)

`Rag(settings)` is the same API bound to explicit settings (another index, another model), and
`Rag.from_defaults(top_k=8)` reads the `RAG_*` settings with overrides. Heavy modules (torch,
chromadb, llama-index, pydantic) load on first use, so importing `rag` is cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from rag.core.errors import (
    ConfigError,
    IndexMissingError,
    IndexUnavailableError,
    InvalidQuestionError,
    LLMUnavailableError,
    RagError,
)
from rag.core.types import (
    Answer,
    ArticleInfo,
    Citation,
    Passage,
    SearchFilter,
    SourceRef,
    TextDelta,
)

if TYPE_CHECKING:
    from rag.api import Rag
    from rag.core.settings import Settings, load_settings
    from rag.llamaindex_retriever import NewsRetriever

__all__ = [
    "Answer",
    "ArticleInfo",
    "Citation",
    "ConfigError",
    "IndexMissingError",
    "IndexUnavailableError",
    "InvalidQuestionError",
    "LLMUnavailableError",
    "Passage",
    "Rag",
    "RagError",
    "SearchFilter",
    "Settings",
    "SourceRef",
    "TextDelta",
    "as_retriever",
    "ask",
    "ask_stream",
    "load_settings",
    "retrieve",
]


def ask(question: str, history: list[dict[str, str]] | None = None, as_of: date | str | None = None,
        **kwargs: Any) -> Answer:
    """Answer `question` from the index configured by `RAG_*` settings, as asked on `as_of`
    (a date or ISO text; default today); see `Rag.ask`."""
    from rag.api import default_rag

    return default_rag().ask(question, history, as_of=as_of, **kwargs)


def ask_stream(
    question: str, history: list[dict[str, str]] | None = None, as_of: date | str | None = None, **kwargs: Any
) -> Iterator[TextDelta | Answer]:
    """Stream `TextDelta`s then one final `Answer`; see `Rag.ask_stream`."""
    from rag.api import default_rag

    return default_rag().ask_stream(question, history, as_of=as_of, **kwargs)


def retrieve(question: str, k: int = 5, **kwargs: Any) -> list[Passage]:
    """Top-`k` passages for `question`, near-duplicates collapsed; see `Rag.retrieve`."""
    from rag.api import default_rag

    return default_rag().retrieve(question, k, **kwargs)


def as_retriever(k: int = 5, *, rag: Rag | None = None, **kwargs: Any) -> NewsRetriever:
    """Top-`k` retrieval as a llama-index `BaseRetriever` for your own query engines, over `rag`
    (default: the `RAG_*` settings' index); `filters` and `as_of` as for `Rag.retrieve`."""
    from rag.api import default_rag
    from rag.llamaindex_retriever import NewsRetriever

    return NewsRetriever(rag or default_rag(), k, **kwargs)


def __getattr__(name: str) -> Any:
    """`Rag` and the settings load on first use: they pull in numpy, pydantic and llama-index."""
    if name == "Rag":
        from rag.api import Rag

        return Rag
    if name in ("Settings", "load_settings"):
        from rag.core import settings

        return getattr(settings, name)
    raise AttributeError(name)
