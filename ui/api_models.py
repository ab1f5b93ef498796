"""Request and response schemas of the JSON API (`/api/*`), also reused by `/v1/*` for citations.

Pydantic models rather than dicts so `/docs` documents every field and FastAPI validates input.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.core.types import Answer, ArticleInfo, Citation, Passage


class HistoryMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: str = ""
    history: list[HistoryMessage] = Field(default_factory=list, max_length=100)
    stream: bool = Field(False, description="Server-sent events: retrieval, delta…, citations, done")
    as_of: date | None = Field(None, description="the date the question is asked on (ISO); default today")


class SourceRefOut(BaseModel):
    """Another place the same passage was published."""

    model_config = ConfigDict(from_attributes=True)
    chunk_id: str
    title: str
    outlet: str
    date: str
    source: str
    article_id: str = ""


class CitationOut(BaseModel):
    """The source behind one `[n]` marker of the answer text."""

    model_config = ConfigDict(from_attributes=True)
    number: int
    title: str
    outlet: str
    date: str
    source: str = Field(description="file the article was ingested from")
    chunk_id: str
    quote: str
    also_reported_by: list[SourceRefOut] = Field(default_factory=list)
    article_id: str = ""


def citations_out(citations: list[Citation]) -> list[CitationOut]:
    return [CitationOut.model_validate(c) for c in citations]


class AskResponse(BaseModel):
    text: str
    short_answer: str = Field("", description="the answer span the text leads with (a name, date, number)")
    citations: list[CitationOut]
    abstained: bool
    mode: str
    model: str | None
    notice: str

    @classmethod
    def of(cls, answer: Answer) -> AskResponse:
        return cls(text=answer.text, short_answer=answer.short_answer, citations=citations_out(answer.citations),
                   abstained=answer.abstained,
                   mode=answer.mode, model=answer.model, notice=answer.notice)


class PassageOut(BaseModel):
    """A retrieved passage, as announced by the stream's `retrieval` event."""

    model_config = ConfigDict(from_attributes=True)
    chunk_id: str
    title: str
    outlet: str
    date: str
    source: str
    score: float


class RetrievalEvent(BaseModel):
    passages: list[PassageOut]
    retrieval_ms: float

    @classmethod
    def of(cls, passages: list[Passage], ms: float) -> RetrievalEvent:
        return cls(passages=[PassageOut.model_validate(p) for p in passages], retrieval_ms=ms)


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    article_id: str
    title: str
    outlet: str
    date: str
    byline: str
    source: str
    chunks: int


class ArticlesResponse(BaseModel):
    count: int
    articles: list[ArticleOut]

    @classmethod
    def of(cls, articles: list[ArticleInfo]) -> ArticlesResponse:
        return cls(count=len(articles), articles=[ArticleOut.model_validate(a) for a in articles])


class FileProblem(BaseModel):
    file: str
    reason: str


class IngestResponse(BaseModel):
    """The same per-file report the page's upload shows."""

    saved: list[str]
    problems: list[FileProblem]
    summary: str


class IndexHealth(BaseModel):
    reachable: bool
    articles: int
    chunks: int
    error: str = ""
    generation: int | None = Field(default=None, description="the index generation answers come from")
    published: int | None = Field(default=None, description="with a Chroma server: the generation it publishes")
    problem: str = Field(default="", description="how this process disagrees with the index it reads")


class HealthResponse(BaseModel):
    status: Literal["ok", "empty", "degraded", "unavailable"]
    index: IndexHealth
    mode: str = Field(description="answer mode: extractive, or the model and its server")
    models: list[str] = Field(description="model ids /v1/chat/completions accepts")
