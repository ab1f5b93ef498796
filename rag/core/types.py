"""The values that cross the seams between stages: what `retrieve` returns and what `ask` answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class SourceRef:
    """One place a passage appears: a near-duplicate collapses into one hit that keeps them all."""

    chunk_id: str
    title: str
    outlet: str
    date: str
    source: str
    text: str = ""
    article_id: str = ""


@dataclass
class Passage:
    """A retrieved chunk with where it came from and how it ranked."""

    chunk_id: str
    text: str
    title: str
    source: str
    score: float
    outlet: str = ""
    date: str = ""
    byline: str = ""
    article_id: str = ""
    kind: str = "body"  # "body" or "caption"
    dense_rank: int | None = None
    keyword_rank: int | None = None
    fused_rank: int | None = None
    dense_similarity: float | None = None
    duplicates: list[SourceRef] = field(default_factory=list)

    @property
    def article_key(self) -> str:
        """The article this passage is from: its id, or its file for chunks of older indexes that carry none."""
        return self.article_id or self.source

    @property
    def sources(self) -> list[SourceRef]:
        """This passage's own location followed by those of its near-duplicates."""
        own = SourceRef(self.chunk_id, self.title, self.outlet, self.date, self.source, self.text, self.article_id)
        return [own, *self.duplicates]


@dataclass(frozen=True)
class Citation:
    """A numbered source behind an `[n]` marker in the answer text."""

    number: int
    title: str
    outlet: str
    date: str
    source: str
    chunk_id: str
    quote: str
    also_reported_by: tuple[SourceRef, ...] = ()
    article_id: str = ""  # opens the whole article in the chat page's side panel


@dataclass
class Answer:
    """What `rag.ask` returns. Every `[n]` in `text` has a `Citation` with that number."""

    text: str
    citations: list[Citation]
    abstained: bool
    mode: Literal["extractive", "llm"]
    model: str | None = None
    question: str = ""
    rewritten_question: str = ""
    notice: str = ""  # e.g. the model server failed and we fell back
    passages: list[Passage] = field(default_factory=list)  # what retrieval considered
    timings_ms: dict[str, float] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)  # evidence strength behind abstaining or not
    short_answer: str = ""  # the answer span the text leads with (a name, date, number), shown highlighted
    model_usage: dict[str, float] = field(default_factory=dict)  # the server's token counts (`ModelUsage`), certainty

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text as it streams; the stream always ends with the full `Answer`."""

    text: str


@dataclass(frozen=True)
class AnswerOptions:
    """Per-request choices an API client makes: extractive even when a model is configured,
    and the model's sampling (unset fields keep the server's defaults)."""

    use_llm: bool = True
    temperature: float | None = None
    max_tokens: int | None = None

    def sampling(self) -> dict[str, float | int]:
        """Keyword arguments for the model's chat call."""
        chosen = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        return {name: value for name, value in chosen.items() if value is not None}


@dataclass(frozen=True)
class ArticleInfo:
    """One ingested article, for listings and filters."""

    article_id: str
    title: str
    outlet: str
    date: str
    byline: str
    source: str
    chunks: int


@dataclass(frozen=True)
class SearchFilter:
    """Limit retrieval to some articles, outlets or a date range (ISO dates, inclusive)."""

    article_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def is_empty(self) -> bool:
        return not (self.article_ids or self.sources or self.outlets or self.date_from or self.date_to)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store holds it: id, text and its metadata fields."""

    chunk_id: str
    text: str
    meta: dict[str, Any]
