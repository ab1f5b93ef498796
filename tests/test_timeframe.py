"""The question's time window, read against a fixed reference date, and the prior built on it."""

from __future__ import annotations

from datetime import date

import pytest

from rag.query.timeframe import RECENT_DAYS, TimeWindow, preferred_window
from rag.retrieval.ranking import time_prior, with_time_prior

AS_OF = date(2024, 3, 15)  # a Friday


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What did the Senate pass this week?", date(2024, 3, 9), date(2024, 3, 15)),
        ("Who resigned last week?", date(2024, 3, 2), date(2024, 3, 8)),
        ("What was announced yesterday?", date(2024, 3, 14), date(2024, 3, 14)),
        ("What happened today in Paris?", date(2024, 3, 15), date(2024, 3, 15)),
        ("Who won the vote on Tuesday?", date(2024, 3, 12), date(2024, 3, 12)),
        ("What opens on Friday?", date(2024, 3, 15), date(2024, 3, 15)),
        ("What opens next Friday?", date(2024, 3, 22), date(2024, 3, 22)),
        ("What did he say last Friday?", date(2024, 3, 8), date(2024, 3, 8)),
        ("Which company was fined last year?", date(2023, 1, 1), date(2023, 12, 31)),
        ("How many jobs were added this year?", date(2024, 1, 1), date(2024, 3, 15)),
        ("What is planned for next year?", date(2025, 1, 1), date(2025, 12, 31)),
        ("Which team won in March?", date(2024, 3, 1), date(2024, 3, 31)),
        ("What changed in February?", date(2024, 2, 1), date(2024, 2, 29)),
        ("Who was elected in November?", date(2023, 11, 1), date(2023, 11, 30)),
        ("What did she say last March?", date(2023, 3, 1), date(2023, 3, 31)),
        ("Who took office in January 2021?", date(2021, 1, 1), date(2021, 1, 31)),
        ("What record was set in 2019?", date(2019, 1, 1), date(2019, 12, 31)),
        ("What rose last month?", date(2024, 2, 1), date(2024, 2, 29)),
        ("What fell earlier this month?", date(2024, 3, 1), date(2024, 3, 15)),
        ("What happened over the past month?", date(2024, 2, 15), date(2024, 3, 15)),
    ],
)
def test_time_words_resolve_against_as_of(question: str, start: date, end: date) -> None:
    window = preferred_window(question, AS_OF)
    assert window is not None and (window.start, window.end) == (start, end)
    assert window.expression and window.expression.lower() in question.lower()


def test_question_without_time_words_prefers_the_days_up_to_as_of() -> None:
    window = preferred_window("Which drug maker cut the price of insulin?", AS_OF)
    assert window == TimeWindow(date(2024, 3, 9), AS_OF)
    assert (window.end - window.start).days == RECENT_DAYS - 1


def test_may_as_a_verb_is_no_month() -> None:
    window = preferred_window("Which rule may change?", AS_OF)
    assert window is not None and window.expression == ""


def test_no_as_of_no_window() -> None:
    assert preferred_window("What did the Senate pass this week?", None) is None


def test_far_reference_date_resolves_but_its_prior_is_flat() -> None:
    """The product's default, today, can be years after every article: the prior must vanish."""
    far = date(2031, 6, 2)
    window = preferred_window("Who won on Tuesday?", far)
    assert window == TimeWindow(date(2031, 5, 27), date(2031, 5, 27), "Tuesday")
    scores = {"a": 0.9, "b": 0.5, "c": 0.1}
    dates = {"a": "2022-01-03", "b": "2024-01-03", "c": ""}
    after = with_time_prior(scores, dates, window, weight=0.5, width_days=7.0)
    assert sorted(after, key=after.__getitem__, reverse=True) == ["a", "b", "c"]
    assert all(abs(after[a] - scores[a]) < 1e-9 for a in scores)


def test_prior_is_a_bonus_that_falls_off_outside_the_window() -> None:
    window = TimeWindow(date(2024, 3, 9), date(2024, 3, 15))
    inside, near, far = (time_prior(d, window, 7.0) for d in ("2024-03-12", "2024-03-20", "2023-03-12"))
    assert inside == 1.0 and 0.4 < near < 0.6 and far < 1e-9
    assert time_prior("", window, 7.0) == 0.0 and time_prior("undated", window, 7.0) == 0.0
    after = with_time_prior({"old": 1.0, "new": 0.8}, {"old": "2023-03-12", "new": "2024-03-12"}, window, 0.5, 7.0)
    assert after["new"] > after["old"] == 1.0
