"""A bounded cache of per-text results that fills its misses in one batch.

Why not `functools.lru_cache`: the reader's models (MiniLM for sentence vectors, spaCy for names)
are several times cheaper per text when they get a question's new sentences together, and
`lru_cache` can only compute one key at a time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")


class BatchCache(Generic[V]):
    """Results by text; the least recently used are dropped past `size`.

    The lock guards the dictionary only. `compute` runs outside it, so two questions can compute
    at once (a model that is not thread safe takes its own lock)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, texts: Sequence[str], compute: Callable[[list[str]], Iterable[V]]) -> list[V]:
        """The result for each text, in order; `compute` gets the distinct texts not cached yet."""
        with self._lock:
            known = {t: self._items[t] for t in texts if t in self._items}
            for text in known:
                self._items.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, compute(missing), strict=True))
            with self._lock:
                self._items.update((t, known[t]) for t in missing)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return [known[t] for t in texts]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
