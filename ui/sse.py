"""Server-sent events on the wire, for both streaming APIs (FastAPI's encoder, our headers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel


def frame(data: BaseModel | str, event: str | None = None) -> bytes:
    """One event; a model is sent as compact JSON, a string as is (OpenAI's `[DONE]`)."""
    text = data if isinstance(data, str) else data.model_dump_json(exclude_unset=True)
    return format_sse_event(data_str=text, event=event)


def event_stream(body: AsyncIterator[bytes]) -> EventSourceResponse:
    """A `text/event-stream` response that proxies must not buffer or cache."""
    return EventSourceResponse(body, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
