"""Pricing refusal thresholds from one report: a higher threshold only turns answers into refusals."""

from __future__ import annotations

from eval.threshold_sweep import groups, price, price_overrule


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


def test_the_reader_overrules_a_declining_model_only_above_its_threshold() -> None:
    model = [{**_row(True, False, 0.9, abstained=True), "id": "q1"}, {**_row(True, True, 0.7), "id": "q2"},
             {**_row(False, False, 0.3, abstained=True), "id": "q3"}]
    reader = {"q1": {**_row(True, True, 0.8), "id": "q1"}, "q2": {**_row(True, False, 0.7), "id": "q2"},
              "q3": {**_row(False, False, 0.3), "id": "q3"}}
    assert price_overrule(model, reader, 0.5) == {"accuracy": 1.0, "refused_answerable": 0.0,
                                                  "refused_unanswerable": 1.0}
    assert price_overrule(model, reader, 0.2)["refused_unanswerable"] == 0.0
    assert price_overrule(model, reader, 0.85) == {"accuracy": 0.5, "refused_answerable": 0.5,
                                                   "refused_unanswerable": 1.0}
