"""Pricing refusal thresholds from one report: a higher threshold only turns answers into refusals."""

from __future__ import annotations

from eval.threshold_sweep import groups, price


def _row(answerable: bool, right: bool, score: float | None, abstained: bool = False) -> dict:
    return {"id": str(id(object())), "answerable": answerable, "abstained": abstained,
            "facts_total": 1 if answerable else 0, "facts_squashed": int(right and not abstained),
            "confidence": score}


ROWS = [_row(True, True, 0.9), _row(True, True, 0.3), _row(True, False, 0.5), _row(True, True, 0.8, abstained=True),
        _row(False, False, 0.2), _row(False, False, 0.6)]


def test_a_threshold_refuses_what_scores_below_it() -> None:
    assert price(ROWS, 0.0) == {"accuracy": 0.5, "refused_answerable": 0.25, "refused_unanswerable": 0.0}
    assert price(ROWS, 0.4) == {"accuracy": 0.25, "refused_answerable": 0.5, "refused_unanswerable": 0.5}
    assert price(ROWS, 0.95) == {"accuracy": 0.0, "refused_answerable": 1.0, "refused_unanswerable": 1.0}


def test_rows_are_grouped_by_half_when_the_report_records_halves() -> None:
    rows = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    report = {"meta": {"split_of": {"a": "tune", "b": "test", "c": "tune"}}, "questions": {"llm": rows}}
    assert groups(report, "llm") == {"tune": [rows[0], rows[2]], "test": [rows[1]]}
    assert groups({"questions": {"llm": rows}}, "llm") == {"all": rows}
