"""Extractive answers over the newswire set, where stories differ only by year, person or figure."""

from __future__ import annotations

from rag.answer.compose import SOURCES_DIFFER


def test_a_year_in_the_question_is_matched_by_the_story_date(newswire_rag) -> None:
    # The February 2022 storm story never writes "2022"; only its date says so.
    answer = newswire_rag.ask("How many customers lost power in Calder Bay's February 2022 snowstorm?")
    assert not answer.abstained, answer.text
    assert "8,400" in answer.text
    assert "23,000" not in answer.text  # the January 2021 storm


def test_a_question_naming_two_years_gets_an_answer_for_each(newswire_rag) -> None:
    answer = newswire_rag.ask(
        "What share of the vote did the winners of the 2018 and 2022 Vessey mayoral elections receive?"
    )
    assert not answer.abstained, answer.text
    assert "53.4 percent" in answer.text and "58.1 percent" in answer.text


def test_different_elections_are_not_reported_as_sources_disagreeing(newswire_rag) -> None:
    answer = newswire_rag.ask(
        "What share of the vote did the winners of the 2018 and 2022 Vessey mayoral elections receive?"
    )
    assert not answer.text.startswith(SOURCES_DIFFER), answer.text


def test_a_year_the_corpus_lacks_is_not_answered_from_another_year(newswire_rag) -> None:
    answer = newswire_rag.ask("Who won the 2020 Harbor Marathon?")
    assert answer.abstained, answer.text
