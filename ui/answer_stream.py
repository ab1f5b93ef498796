"""One answer as async events, the streaming core shared by `POST /api/ask` and `/v1/chat/completions`.

`start()` waits until retrieval is done, so what a client can act on (an empty or oversized
question, no index, a Chroma server down) comes back as an HTTP status before any byte of a 200
stream; the text, the final `Answer` and any later failure then arrive through `rest()`. The
blocking `Rag.ask_stream` runs in a worker thread (`ui.pump`) that hands events to the event loop,
so waiting clients hold no thread-pool slot; a client that disconnects abandons its worker.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from rag.api import History, Rag
from rag.core.errors import RagError
from rag.core.types import Answer, AnswerOptions, Passage, TextDelta
from ui.pump import END, pump

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retrieved:
    """Retrieval is done: the passages the answer will be built from."""

    passages: list[Passage]
    ms: float


class StreamFailed(Exception):
    """The answer stream broke after it started (the message is safe to show)."""


class AnswerStream:
    """The events of one answer: `Retrieved`, then `TextDelta`s, then one `Answer`."""

    def __init__(self, rag: Rag, question: str, history: History, options: AnswerOptions,
                 as_of: date | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._events: asyncio.Queue[object] = asyncio.Queue()
        self._abandon = threading.Event()
        started = time.perf_counter()

        def put(event: object) -> None:
            try:
                loop.call_soon_threadsafe(self._events.put_nowait, event)
            except RuntimeError:  # the loop closed under us (server shutting down)
                self._abandon.set()

        def retrieved(passages: list[Passage]) -> None:
            put(Retrieved(passages, round((time.perf_counter() - started) * 1000, 1)))

        pump(lambda: rag.ask_stream(question, history, options=options, on_retrieved=retrieved, as_of=as_of),
             put, self._abandon)

    async def start(self) -> Retrieved:
        """Wait for retrieval; raises the `RagError` (or other exception) that prevented it."""
        event = await self._events.get()
        if isinstance(event, Retrieved):
            return event
        self._abandon.set()
        if isinstance(event, Exception):
            raise event
        raise StreamFailed("The answer stream ended before retrieval finished.")

    async def rest(self) -> AsyncIterator[TextDelta | Answer]:
        """The text deltas and the final `Answer`; `StreamFailed` if the stream breaks first."""
        try:
            while True:
                event = await self._events.get()
                if isinstance(event, RagError):
                    raise StreamFailed(str(event)) from event
                if isinstance(event, Exception):
                    log.error("answering failed", exc_info=event)
                    raise StreamFailed(f"Answering failed ({type(event).__name__}); see the server log.") from event
                if event is END:
                    raise StreamFailed("The answer stream ended without a final answer.")
                if isinstance(event, (TextDelta, Answer)):
                    yield event
                if isinstance(event, Answer):
                    return
        finally:
            self._abandon.set()

    async def answer(self) -> Answer:
        """Wait for the final `Answer` (for non-streaming responses)."""
        final = [event async for event in self.rest()][-1]  # `rest` ends with the Answer or raises
        assert isinstance(final, Answer)
        return final
