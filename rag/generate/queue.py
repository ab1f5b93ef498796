"""One question at a time for the model, and a bounded line in front of it.

Why: a local llama.cpp server on two cores writes one answer at a time; its own queue would make
the tenth user wait minutes. Here a user past the line's bound, or one who waited too long, is
told at once and answered extractively instead (`Rag` catches `ModelBusyError`). The line is
first come, first served, so the position a waiting user is shown only ever goes down.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rag.core.errors import LLMUnavailableError


class ModelBusyError(LLMUnavailableError):
    """The model is answering others and this question would wait past the bound."""


class ModelQueue:
    """A turn at the model: `with queue.turn(): ...` waits its turn, or raises `ModelBusyError`
    when `limit` questions already wait or the turn does not come within `wait_s`."""

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self._cond = threading.Condition()
        self._busy = False
        self._line: deque[object] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @contextmanager
    def turn(self, on_position: Callable[[int], None] | None = None) -> Iterator[None]:
        """`on_position(n)` is told how many questions are ahead whenever that changes, and 0 when
        the turn comes. It runs under the line's lock: it must only hand the figure on."""
        self._wait_for_turn(on_position or (lambda _: None))
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()  # every waiter's position moves up

    def _wait_for_turn(self, on_position: Callable[[int], None]) -> None:
        with self._cond:
            if self._busy and len(self._line) >= self.limit:
                raise ModelBusyError(f"{len(self._line) + 1} questions are ahead of this one")
            ticket = object()
            self._line.append(ticket)
            try:
                deadline = time.monotonic() + self.wait_s
                told = -1
                while self._busy or self._line[0] is not ticket:
                    ahead = self._line.index(ticket) + int(self._busy)
                    if ahead != told:
                        on_position(told := ahead)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ModelBusyError(f"no turn within {self.wait_s:.0f} s")
                    self._cond.wait(left)
                self._busy = True
                on_position(0)
            finally:
                self._line.remove(ticket)
                self._cond.notify_all()
