"""Feedback votes from the chat page become gold candidates that the gold-set reader accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.goldset import load_items
from eval.harness import main as eval_main
from ui.feedback import append_feedback, feedback_record

DELEGATION = "Who led the U.S. delegation to Beijing?"
XI = "What did Xi say at the meeting?"


def _vote(path: Path, rag, question: str, rating: str, comment: str = "") -> None:
    append_feedback(path, feedback_record(question, rag.ask(question), rating, comment))  # type: ignore[arg-type]


def test_votes_become_reviewable_gold_candidates(sample_rag, tmp_path: Path) -> None:
    feedback, out = tmp_path / "feedback.jsonl", tmp_path / "candidates.jsonl"
    _vote(feedback, sample_rag, DELEGATION, "down", "too short")
    _vote(feedback, sample_rag, DELEGATION, "up")  # changed their mind: the latest vote wins
    _vote(feedback, sample_rag, XI, "up")

    assert eval_main(["--from-feedback", str(feedback), "--candidates-out", str(out)]) == 0

    items = {item.question: item for item in load_items(out)}
    assert set(items) == {DELEGATION, XI}
    liked = items[DELEGATION]
    assert liked.answerable and "Daskal" in liked.reference
    assert {s["source"] for s in liked.supporting} == {c.source for c in sample_rag.ask(DELEGATION).citations}
    assert liked.extra["feedback"]["rating"] == "up"
    declined = items[XI]
    assert declined.type == "unanswerable" and not declined.answerable and not declined.supporting


def test_a_thumbs_down_keeps_the_rejected_answer_and_comment(sample_rag, tmp_path: Path) -> None:
    feedback, out = tmp_path / "feedback.jsonl", tmp_path / "candidates.jsonl"
    _vote(feedback, sample_rag, XI, "down", "the NBC story quotes him")
    assert eval_main(["--from-feedback", str(feedback), "--candidates-out", str(out)]) == 0
    (item,) = load_items(out)
    assert item.answerable and item.reference == "" and item.type == "single"
    assert item.extra["feedback"]["comment"] == "the NBC story quotes him"
    assert "does not say" in item.extra["feedback"]["answer"]


@pytest.mark.parametrize("line", ["not json", json.dumps({"rating": "meh", "question": "q"})])
def test_a_bad_feedback_line_is_named(tmp_path: Path, line: str, capsys: pytest.CaptureFixture[str]) -> None:
    feedback = tmp_path / "feedback.jsonl"
    feedback.write_text(json.dumps({"rating": "up", "question": "q", "answer": "a"}) + "\n" + line + "\n")
    assert eval_main(["--from-feedback", str(feedback), "--candidates-out", str(tmp_path / "c.jsonl")]) == 2
    assert f"{feedback}:2" in capsys.readouterr().err
    assert not (tmp_path / "c.jsonl").exists()
