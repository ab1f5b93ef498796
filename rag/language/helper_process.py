"""A second process that takes half of a batch of model work, for models that hold the GIL.

Why: spaCy's NER keeps the GIL while it runs (two threads on two copies of the model were slower
than one), and it is the largest step of an extractive answer. A spawned process with its own copy
of the model runs the second half of each batch while this process runs the first, so the batch
takes about the time of its larger half plus the pickling (measured in docs/EVALUATION.md).

Only long-lived processes start one (`Rag.warm_up`: the server, the eval): its start-up, a second
or so of loading, would not pay for itself in a one-shot `rag ask`. Until it is started, and
after it fails, all of the work runs here, so a helper can make an answer faster, never different.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


class BatchHelper(Generic[T, R]):
    """Runs `work(items)` with the second half of `items` in a helper process once started.

    `work` and `load` must be module-level functions (they are pickled by name); `load` runs once
    in the helper, so its first batch does not pay for loading the model."""

    def __init__(self, work: Callable[[list[T]], list[R]], load: Callable[[], object]) -> None:
        self.work = work
        self.load = load
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        """Spawn the helper and wait until its model is loaded; a second call does nothing.

        On failure the work stays in this process and the reason is logged."""
        with self._lock:
            if self._pool is not None:
                return
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_exit_with_parent, initargs=(os.getpid(),))
            try:
                pool.submit(self.load).result()
            except Exception as exc:  # noqa: BLE001 - an optimisation: answers go on without it
                log.warning("helper process not started (%s); its work runs in this process", exc)
                pool.shutdown(wait=False, cancel_futures=True)
                return
            self._pool = pool

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def map(self, items: list[T]) -> list[R]:
        """`work(items)` in order, the second half computed by the helper when one is running."""
        pool = self._pool
        if pool is None or len(items) < 2:
            return self.work(items)
        cut = (len(items) + 1) // 2
        try:
            future = pool.submit(self.work, items[cut:])
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down meanwhile
            self._lost(pool, exc)
            return self.work(items)
        head = self.work(items[:cut])
        try:
            return head + future.result()
        except BrokenProcessPool as exc:
            self._lost(pool, exc)
            return head + self.work(items[cut:])

    def _lost(self, pool: ProcessPoolExecutor, exc: BaseException) -> None:
        """The helper died (killed, out of memory): stop using it, say so once."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
        log.warning("helper process lost (%s); its work runs in this process from now on", exc)
        pool.shutdown(wait=False, cancel_futures=True)


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """In the helper: exit once the process that started it is gone (killed, crashed).

    Why: the helper holds both ends of its task queue's pipe, so it never sees end-of-file when
    the parent dies, and would otherwise outlive a killed server by hours."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
