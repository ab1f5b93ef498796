"""One question at a time for the model, and a bounded line in front of it.

Why: a local llama.cpp server on two cores writes one answer at a time; its own queue would make
the tenth user wait minutes. Here a user past the line's bound, or one who waited too long, is
told at once and answered extractively instead (`Rag` catches `ModelBusyError`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
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
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def turn(self) -> Iterator[None]:
        self._wait_for_turn()
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify()

    def _wait_for_turn(self) -> None:
        with self._cond:
            if self._busy and self._waiting >= self.limit:
                raise ModelBusyError(f"{self._waiting + 1} questions are ahead of this one")
            self._waiting += 1
            try:
                deadline = time.monotonic() + self.wait_s
                while self._busy:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ModelBusyError(f"no turn within {self.wait_s:.0f} s")
                    self._cond.wait(left)
                self._busy = True
            finally:
                self._waiting -= 1
