"""Run a per-item step in a background thread, a few items ahead of the consumer.

Why: ingest reads, cleans, chunks and tokenises one file while the model embeds the previous
batch. onnxruntime and Chroma's writes release the GIL, so on two cores the Python work of the
next files runs beside them instead of after them. The queue is bounded, so memory stays flat.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_DONE = object()


class _Failure(Generic[T]):
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(items: Iterable[T], step: Callable[[T], R], depth: int = 8) -> Iterator[tuple[T, R]]:
    """(item, step(item)) in input order; an exception in `step` is raised here, in the consumer."""
    results: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                results.put((item, step(item)))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            results.put(_Failure(exc))
        results.put(_DONE)

    worker = threading.Thread(target=produce, name="ingest-read-ahead", daemon=True)
    worker.start()
    try:
        while (got := results.get()) is not _DONE:
            if isinstance(got, _Failure):
                raise got.exc
            yield got  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue, then let it end
            try:
                results.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()
