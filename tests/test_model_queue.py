"""The line in front of the local model: one turn at a time, a bound, a deadline."""

from __future__ import annotations

import threading
import time

import pytest

from rag.generate.queue import ModelBusyError, ModelQueue


def _hold(queue: ModelQueue, entered: threading.Event, release: threading.Event) -> threading.Thread:
    def run() -> None:
        with queue.turn():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(5)
    return thread


def test_a_second_question_waits_for_the_first() -> None:
    queue = ModelQueue(limit=1, wait_s=5)
    release = threading.Event()
    holder = _hold(queue, threading.Event(), release)
    order: list[str] = []
    waiter = threading.Thread(target=lambda: queue.turn().__enter__() or order.append("second"))
    waiter.start()
    time.sleep(0.2)
    assert queue.waiting == 1 and not order  # still waiting while the first answers
    release.set()
    holder.join(5)
    waiter.join(5)
    assert order == ["second"]


def test_past_the_bound_a_question_is_turned_away_at_once() -> None:
    queue = ModelQueue(limit=0, wait_s=30)
    release = threading.Event()
    holder = _hold(queue, threading.Event(), release)
    started = time.monotonic()
    with pytest.raises(ModelBusyError, match="ahead"), queue.turn():
        pass
    assert time.monotonic() - started < 1
    release.set()
    holder.join(5)
    with queue.turn():  # free again
        pass


def test_a_turn_that_does_not_come_in_time_gives_up() -> None:
    queue = ModelQueue(limit=3, wait_s=0.3)
    release = threading.Event()
    holder = _hold(queue, threading.Event(), release)
    with pytest.raises(ModelBusyError, match="no turn"), queue.turn():
        pass
    assert queue.waiting == 0
    release.set()
    holder.join(5)


def test_waiters_are_served_in_order_and_told_their_position() -> None:
    queue = ModelQueue(limit=3, wait_s=10)
    release = threading.Event()
    holder = _hold(queue, threading.Event(), release)
    positions: dict[str, list[int]] = {"a": [], "b": []}
    served: list[str] = []
    a_done = threading.Event()

    def wait(name: str) -> threading.Thread:
        def run() -> None:
            with queue.turn(positions[name].append):
                served.append(name)
                if name == "a":
                    a_done.wait(10)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    first = wait("a")
    time.sleep(0.2)
    second = wait("b")
    time.sleep(0.2)
    assert positions == {"a": [1], "b": [2]}  # one answering, then a, then b
    release.set()
    time.sleep(0.2)
    assert served == ["a"] and positions == {"a": [1, 0], "b": [2, 1]}  # b moved up behind a
    a_done.set()
    for thread in (holder, first, second):
        thread.join(5)
    assert served == ["a", "b"]
    assert positions == {"a": [1, 0], "b": [2, 1, 0]}
    assert queue.waiting == 0
