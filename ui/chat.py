"""One conversation, turn by turn, kept apart from Gradio so it can be tested without a browser.

The page keeps a list of `Turn`s in its session state and renders it whole on every update; the
model only ever sees the plain question/answer text (`history_of`), never the HTML we built.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from rag.api import Rag
from rag.core.errors import InvalidQuestionError, RagError
from rag.core.types import Answer, Citation, Passage, SearchFilter, TextDelta
from ui.pump import END, pump

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """A question and what we know of its answer so far (streamed text, then the `Answer`)."""

    question: str
    text: str = ""
    answer: Answer | None = None
    error: str = ""
    stopped: bool = False
    feedback: str = ""  # "up" or "down" once recorded
    scope: str = ""  # human description of the filters the question was limited by
    status: str = ""  # what is happening before the first text: reading N articles, waiting for the model

    @property
    def pending(self) -> bool:
        return self.answer is None and not self.error and not self.stopped


def history_of(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """Completed turns as `[{"role", "content"}]`, so follow-ups can be rewritten by `Rag`."""
    messages: list[dict[str, str]] = []
    for turn in turns:
        if turn.answer is None:
            continue  # failed or stopped turns would only confuse the rewrite
        messages.append({"role": "user", "content": turn.question})
        messages.append({"role": "assistant", "content": turn.answer.text})
    return messages


@dataclass(frozen=True)
class Progress:
    """A step before the answer's first text, as the line the page shows for it."""

    status: str


def reading_status(passages: Sequence[Passage], titles_shown: int = 3) -> Progress:
    """Retrieval is done: which articles the answer is read from, best first."""
    titles = list(dict.fromkeys(p.title or p.source for p in passages))
    if not titles:
        return Progress("No article matches; answering…")
    named = "; ".join(f"“{t}”" for t in titles[:titles_shown]) + ("…" if len(titles) > titles_shown else "")
    return Progress(f"Reading {len(titles)} article{'s' if len(titles) != 1 else ''}: {named}")


def queue_status(ahead: int) -> Progress:
    """The local model's line (`Rag.ask_stream(on_queued=...)`): how many questions are ahead."""
    if ahead == 0:
        return Progress("The model is reading the best passages…")
    return Progress(f"Waiting for the model: {ahead} question{'s' if ahead != 1 else ''} ahead of yours…")


def parse_filters(
    article_ids: Sequence[str] | None,
    outlets: Sequence[str] | None,
    date_from: str | None,
    date_to: str | None,
) -> SearchFilter | None:
    """The filter widgets' values as a `SearchFilter`, or None when nothing limits the search.

    Dates must be ISO (YYYY-MM-DD) because the index stores ISO dates and compares them as text.
    """
    start, end = _iso_date(date_from, "From"), _iso_date(date_to, "To")
    if start and end and start > end:
        raise InvalidQuestionError(f"The date range is empty: {start} is after {end}.")
    found = SearchFilter(
        article_ids=tuple(article_ids or ()),
        outlets=tuple(outlets or ()),
        date_from=start,
        date_to=end,
    )
    return None if found.is_empty() else found


def parse_as_of(value: str | None) -> str | None:
    """The page's "Asked on" field: an ISO date, or None (today) when empty."""
    return _iso_date(value, "Asked-on")


def _iso_date(value: str | None, label: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidQuestionError(f"{label} date {value!r} is not a date like 2024-01-30.") from None


def describe_filters(found: SearchFilter | None, titles: dict[str, str]) -> str:
    """One line saying what a question was limited to, shown above its answer."""
    if found is None:
        return ""
    parts = []
    if found.article_ids:
        parts.append("articles: " + "; ".join(titles.get(a, a) for a in found.article_ids))
    if found.outlets:
        parts.append("outlets: " + ", ".join(found.outlets))
    if found.date_from or found.date_to:
        parts.append(f"dates: {found.date_from or '…'} to {found.date_to or '…'}")
    return "Limited to " + " · ".join(parts)


def stream_turn(
    rag: Rag,
    turns: list[Turn],
    question: str,
    filters: SearchFilter | None = None,
    stop: Callable[[], bool] = lambda: False,
    as_of: str | None = None,
) -> Iterator[list[Turn]]:
    """Append a turn for `question` and yield the turn list after every change to it.

    The first yield happens before retrieval starts, so the page can show progress at once.
    `Rag.ask_stream` runs in a worker thread and we poll `stop` while waiting for it, so Stop takes
    effect at once, even in the middle of retrieval; the worker then closes the abandoned stream
    at its next event. (Gradio's own `cancels=` leaves the page stuck when it lands during the
    first step of a generator, so the page stops cooperatively instead.)
    Errors end up in `Turn.error` (shown in the conversation) rather than escaping, because a
    streaming Gradio handler that raises loses the turns it already showed.
    """
    turn = Turn(question=question)
    turns = [*turns, turn]
    yield turns
    events: queue.Queue[object] = queue.Queue()
    abandon = threading.Event()
    history = history_of(turns[:-1])
    pump(lambda: rag.ask_stream(question, history, filters=filters, as_of=as_of,
                                on_retrieved=lambda found: events.put(reading_status(found)),
                                on_queued=lambda ahead: events.put(queue_status(ahead))),
         events.put, abandon)
    try:
        while turn.pending:
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                event = None
            if stop():
                turn.stopped = True
            elif event is END:
                turn.error = "The answer stream ended without a final answer."
            elif isinstance(event, RagError):
                turn.error = str(event)
            elif isinstance(event, Exception):
                log.error("answering %r failed", question, exc_info=event)
                turn.error = f"Something went wrong while answering ({type(event).__name__}); see the server log."
            elif isinstance(event, Progress):
                turn.status = event.status
            elif isinstance(event, TextDelta):
                turn.text += event.text
            elif isinstance(event, Answer):
                turn.answer, turn.text = event, event.text
            else:
                continue
            yield turns
    finally:
        abandon.set()


def citation(turns: Sequence[Turn], turn_index: int, number: int) -> Citation | None:
    """The citation numbered `number` under the answer of turn `turn_index`, if any."""
    answer = turns[turn_index].answer if 0 <= turn_index < len(turns) else None
    if answer is None:
        return None
    for cited in answer.citations:
        if cited.number == number:
            return cited
    return None


def parse_ref(ref: str) -> tuple[str, list[str]]:
    """Split a `data-ref` such as `cite:2:1` into its kind and arguments."""
    kind, _, rest = str(ref).partition(":")
    return kind, rest.split(":") if rest else []


class StopRequests:
    """Per-session Stop/Clear presses, which the session's running answer polls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pressed: dict[str, tuple[str, float]] = {}

    def press(self, session: str, kind: str) -> None:
        with self._lock:
            self._pressed[session] = (kind, time.monotonic())

    def pressed_since(self, session: str, since: float) -> str:
        """"stop" or "clear" if pressed in `session` after `since`, else ""."""
        with self._lock:
            kind, at = self._pressed.get(session, ("", 0.0))
        return kind if at > since else ""
