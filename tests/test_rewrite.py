"""The offline follow-up rewrite: which subject replaces he/she/it."""

from __future__ import annotations

import pytest

from rag.query.rewrite import rule_based


def _history(question: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def test_the_person_the_answer_named_replaces_she() -> None:
    history = _history("Who led the U.S. delegation to Beijing?", "Jen Daskal led it [1].")
    assert rule_based("What did she say about the talks?", history) == "What did Jen Daskal say about the talks?"


def test_the_person_asked_about_wins_over_others_in_the_answer() -> None:
    history = _history(
        "Who is Yu Haibin?", "He is an official quoted in US, China Restart Talks on Fentanyl Crackdown [1]."
    )
    assert "Yu Haibin" in rule_based("What did he say is the root cause?", history)


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        (
            "Who won the men's race at the 2022 Harbor Marathon?",
            "Oskar Lindqvist won in 2:11:05 [1].",
            "Oskar Lindqvist's",
        ),
        ("Who won the 2022 Vessey Book Prize?", "Theo Marchetti won it [1].", "Theo Marchetti's"),
    ],
)
def test_names_of_events_in_the_question_are_not_people(question: str, answer: str, expected: str) -> None:
    assert expected in rule_based("What was his winning entry?", _history(question, answer))


def test_it_becomes_the_previous_topic() -> None:
    history = _history("Why did China suspend cooperation in 2022?", "After Pelosi's visit to Taiwan [1].")
    assert "China suspend cooperation in 2022" in rule_based("When did it resume?", history)
