"""`/api/*`: ask (JSON or server-sent events), list articles, ingest uploads, health.

A streamed ask sends `retrieval` once retrieval is done, `delta`s as the text is written (for an
LLM, its unchecked draft, as the chat page shows it), then `citations` and `done` with the
checked answer, which replaces the draft.

Errors keep FastAPI's `{"detail": ...}` shape that `POST /api/ask` always had; the statuses come
from `ui.http_errors` so they match `/v1/*`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Literal

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from rag.api import Rag
from rag.core.errors import RagError
from rag.core.types import Answer, AnswerOptions, TextDelta
from ui.answer_stream import AnswerStream, StreamFailed
from ui.api_models import (
    ArticlesResponse,
    AskRequest,
    AskResponse,
    CitationOut,
    FileProblem,
    HealthResponse,
    IndexHealth,
    IngestResponse,
    RetrievalEvent,
)
from ui.http_errors import status_for
from ui.openai_api import model_ids
from ui.sse import event_stream, frame
from ui.uploads import MAX_UPLOAD_BYTES, ingest_uploads, safe_name

INGEST_FILES = (".txt .md .html .pdf .docx pages, .rss .atom .xml feeds, .jsonl .ndjson .csv dumps "
                "(fields title, text|content|body|maintext, date, url, source, author)")
STREAM_DOC = {
    200: {
        "description": "JSON, or with `stream: true` server-sent events: `retrieval`, `delta` (repeated), "
        "`citations`, `done` (the whole response as in JSON mode), or `error`.",
        "content": {"text/event-stream": {}},
    }
}


class DeltaEvent(BaseModel):
    text: str


class CitationsEvent(BaseModel):
    citations: list[CitationOut]


class ErrorEvent(BaseModel):
    message: str


def api_router(rag: Rag) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"])

    @router.post("/ask", response_model=AskResponse, responses=STREAM_DOC)
    async def ask(request: AskRequest) -> Response:
        """Answer a question from the articles, with citations; follow-ups use `history`."""
        history = [m.model_dump() for m in request.history]
        stream = AnswerStream(rag, request.question, history, AnswerOptions(), as_of=request.as_of)
        try:
            retrieved = await stream.start()
        except RagError as exc:
            raise HTTPException(status_code=status_for(exc), detail=str(exc)) from None
        if not request.stream:
            try:
                return JSONResponse(AskResponse.of(await stream.answer()).model_dump())
            except StreamFailed as exc:
                raise HTTPException(status_code=500, detail=str(exc)) from None
        return event_stream(_ask_events(stream, RetrievalEvent.of(retrieved.passages, retrieved.ms)))

    @router.get("/articles", response_model=ArticlesResponse)
    def articles() -> ArticlesResponse:
        """Every ingested article with its metadata, newest first."""
        try:
            return ArticlesResponse.of(rag.articles())
        except RagError as exc:
            raise HTTPException(status_code=status_for(exc), detail=str(exc)) from None

    @router.post("/ingest", response_model=IngestResponse)
    def ingest(files: list[UploadFile] = File(description=INGEST_FILES)) -> IngestResponse:  # noqa: B008
        """Add articles: pages, PDF and Word files, RSS/Atom feeds, JSON Lines and CSV dumps (one article a
        row). The page's upload checks; problems named per file, dump line or feed item."""
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
            paths = [_spool(upload.file, Path(tmp) / safe_name(upload.filename or "upload")) for upload in files]
            try:
                result = ingest_uploads(paths, rag.settings)
            except RagError as exc:
                raise HTTPException(status_code=status_for(exc), detail=str(exc)) from None
        problems = [FileProblem(file=name, reason=reason) for name, reason in result.problems]
        return IngestResponse(saved=result.saved, problems=problems, summary=result.summary)

    @router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
    async def health() -> JSONResponse:
        """Is the index reachable, how much is in it, and how answers are made."""
        report = await run_in_threadpool(_health, rag)
        return JSONResponse(report.model_dump(), status_code=503 if report.status == "unavailable" else 200)

    return router


async def _ask_events(stream: AnswerStream, retrieval: RetrievalEvent) -> AsyncIterator[bytes]:
    yield frame(retrieval, "retrieval")
    try:
        async for event in stream.rest():
            if isinstance(event, TextDelta):
                yield frame(DeltaEvent(text=event.text), "delta")
            elif isinstance(event, Answer):
                done = AskResponse.of(event)
                yield frame(CitationsEvent(citations=done.citations), "citations")
                yield frame(done, "done")
    except StreamFailed as exc:
        yield frame(ErrorEvent(message=str(exc)), "error")


def _spool(upload: IO[bytes], dest: Path) -> Path:
    """Copy at most one byte over the limit, so `ingest_uploads` reports an oversized file by name
    without the server writing all of it."""
    with dest.open("wb") as out:
        shutil.copyfileobj(_Limited(upload, MAX_UPLOAD_BYTES + 1), out)
    return dest


class _Limited:
    """A read-only view of the first `limit` bytes of a file."""

    def __init__(self, file: IO[bytes], limit: int) -> None:
        self.file, self.left = file, limit

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.file.read(size) if size else b""
        self.left -= len(data)
        return data


def _health(rag: Rag) -> HealthResponse:
    """With a Chroma server, also whether this process answers from the index the server publishes
    (`rag.index.committed`): a newer one is loaded by this check, a lost one is an error."""
    try:
        state = rag.committed.check()
        chunks = rag.store.count()
        articles = len(rag.articles())
    except RagError as exc:
        index = IndexHealth(reachable=False, articles=0, chunks=0, error=str(exc))
        return HealthResponse(status="unavailable", index=index, mode=rag.mode_label(), models=model_ids(rag))
    status: Literal["ok", "empty", "degraded"] = "degraded" if state.problem else "ok" if chunks else "empty"
    index = IndexHealth(reachable=True, articles=articles, chunks=chunks, generation=state.generation,
                        published=state.published, problem=state.problem)
    return HealthResponse(status=status, index=index, mode=rag.mode_label(), models=model_ids(rag))
