"""The helper process that takes half of a batch: same results as one process, and none lost
when the helper fails to start or dies mid-batch (real spawned processes, real spaCy model)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from rag.embed.onnx import cpu_count
from rag.language import entities
from rag.language.helper_process import BatchHelper
from tests.conftest import REPO

_PARENT = """
from rag.language.helper_process import BatchHelper
from tests.test_helper_process import nothing, tagged
helper = BatchHelper(tagged, nothing)
helper.start()
print(helper.map(["a", "b"])[1][1], flush=True)
input()
"""


def tagged(items: list[str]) -> list[tuple[str, int]]:
    """Each item with the id of the process that handled it."""
    return [(item.upper(), os.getpid()) for item in items]


def nothing() -> None:
    return None


def torch_loaded() -> bool:
    return sys.modules.get("torch") is not None


def broken_load() -> None:
    raise RuntimeError("no model here")


@pytest.fixture
def helper():
    started: BatchHelper[str, tuple[str, int]] = BatchHelper(tagged, nothing)
    started.start()
    yield started
    started.stop()


def test_second_half_runs_in_the_helper_and_order_is_kept(helper) -> None:
    out = helper.map(["a", "b", "c", "d", "e"])
    assert [text for text, _ in out] == ["A", "B", "C", "D", "E"]
    here = [pid == os.getpid() for _, pid in out]
    assert here == [True, True, True, False, False]


def test_a_single_item_stays_here(helper) -> None:
    assert helper.map(["a"]) == [("A", os.getpid())]


def test_a_helper_killed_between_batches_loses_nothing(helper, caplog) -> None:
    helper_pid = helper.map(["a", "b"])[1][1]
    os.kill(helper_pid, signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="rag.language.helper_process"):
        out = helper.map(["x", "y", "z"])
    assert out == [("X", os.getpid()), ("Y", os.getpid()), ("Z", os.getpid())]
    assert not helper.running
    assert "helper process lost" in caplog.text
    assert helper.map(["q", "r"]) == [("Q", os.getpid()), ("R", os.getpid())]


def test_a_killed_parent_takes_its_helper_with_it() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    helper_pid = int(parent.stdout.readline())
    os.kill(helper_pid, 0)  # running
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(helper_pid):
        time.sleep(0.2)
    assert not _alive(helper_pid)


def _alive(pid: int) -> bool:
    """Running, not gone or a zombie waiting to be reaped (Linux: the state field of /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_helper_that_cannot_load_leaves_the_work_here(caplog) -> None:
    failing: BatchHelper[str, tuple[str, int]] = BatchHelper(tagged, broken_load)
    with caplog.at_level(logging.WARNING, logger="rag.language.helper_process"):
        failing.start()
    assert not failing.running
    assert "no model here" in caplog.text
    assert failing.map(["a", "b"]) == [("A", os.getpid()), ("B", os.getpid())]


def test_entities_with_the_ner_helper_equal_those_of_one_process() -> None:
    sentences = [
        "Ada Lovelace met Charles Babbage in London in June 1833.",
        "The Federal Reserve raised rates by 0.25 percent on Wednesday.",
        "Toyota sold 10 million cars in Japan and the United States last year.",
        "Prime Minister Rishi Sunak spoke in Parliament about the budget.",
        "About 3,000 people marched through Paris on Saturday.",
    ]
    alone = entities._recognise(sentences)
    assert any(e.label == "PERSON" for found in alone for e in found)
    entities.start_helper()
    try:
        entities.ENTITY_CACHE.clear()
        assert entities._HELPER.running
        assert entities.entities_of(sentences) == alone
        assert not entities._HELPER._pool.submit(torch_loaded).result(), "the NER helper loaded torch"
    finally:
        entities.stop_helper()
        entities.ENTITY_CACHE.clear()
    assert not entities._HELPER.running


def test_warm_up_starts_the_ner_helper_only_when_the_settings_allow(sample_index) -> None:
    from rag.api import Rag
    from rag.core.settings import Settings

    try:
        Rag(Settings(index_dir=sample_index, ner_helper=False)).warm_up()
        assert not entities._HELPER.running
        Rag(Settings(index_dir=sample_index, ner_helper=True)).warm_up()
        assert entities._HELPER.running == (cpu_count() >= 2)
    finally:
        entities.stop_helper()
