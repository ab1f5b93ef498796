"""Question answering over a folder of news articles, with cited passages.

    import rag
    answer = rag.ask("Who led the U.S. delegation to Beijing?")
    print(answer.text, answer.citations)

`Rag(settings)` is the same API bound to explicit settings (another index, another model).
Heavy modules (torch, chromadb, llama-index) load on first use, so importing `rag` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.errors import (
    ConfigError,
    IndexMissingError,
    IndexUnavailableError,
    InvalidQuestionError,
    LLMUnavailableError,
    RagError,
)
from rag.types import Answer, ArticleInfo, Citation, Passage, SearchFilter, SourceRef, TextDelta

if TYPE_CHECKING:
    from rag.api import Rag

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
    "SourceRef",
    "TextDelta",
    "ask",
    "ask_stream",
    "retrieve",
]


def ask(question: str, history: list[dict[str, str]] | None = None, **kwargs: Any) -> Answer:
    """Answer `question` from the index configured by `RAG_*` settings; see `Rag.ask`."""
    from rag.api import default_rag

    return default_rag().ask(question, history, **kwargs)


def ask_stream(question: str, history: list[dict[str, str]] | None = None, **kwargs: Any):
    """Stream `TextDelta`s then one final `Answer`; see `Rag.ask_stream`."""
    from rag.api import default_rag

    return default_rag().ask_stream(question, history, **kwargs)


def retrieve(question: str, k: int = 5, **kwargs: Any) -> list[Passage]:
    """Top-`k` passages for `question`, near-duplicates collapsed; see `Rag.retrieve`."""
    from rag.api import default_rag

    return default_rag().retrieve(question, k, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "Rag":
        from rag.api import Rag

        return Rag
    raise AttributeError(name)
