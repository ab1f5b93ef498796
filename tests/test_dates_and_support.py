"""Relative dates resolved against the article date; lexical-plus-meaning support checks."""

from __future__ import annotations

import pytest

from rag.answer.support import SupportConfig, answer_sentences, claim_text, lexically_supported
from rag.language.dates import annotate, resolve

ARTICLE_DATE = "2024-01-30"  # a Tuesday


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Officials committed Tuesday to working together.", [("Tuesday", "30 January 2024")]),
        ("More meetings will be held on Wednesday.", [("Wednesday", "31 January 2024")]),
        ("Talks with Beijing resumed Monday.", [("Monday", "29 January 2024")]),
        ("The leaders met in San Francisco last November.", [("last November", "November 2023")]),
        ("He gave a speech earlier this month.", [("earlier this month", "January 2024")]),
        ("Senators visited Beijing in October and pressed the issue.", [("in October", "October 2023")]),
        ("The meeting in November 2023 thawed relations.", []),
    ],
)
def test_news_relative_dates(sentence: str, expected: list[tuple[str, str]]) -> None:
    assert resolve(sentence, ARTICLE_DATE) == expected


def test_annotation_keeps_possessives_readable_and_needs_a_date() -> None:
    assert (
        annotate("Tuesday’s meeting was the first.", ARTICLE_DATE)
        == "Tuesday’s (30 January 2024) meeting was the first."
    )
    assert annotate("Tuesday’s meeting was the first.", "") == "Tuesday’s meeting was the first."


def test_claim_text_strips_markers_and_our_own_annotations() -> None:
    sentence = "Officials met Tuesday (30 January 2024) in Beijing (reported by AP and Fox News) [1][2]."
    assert claim_text(sentence) == "Officials met Tuesday in Beijing."


def test_numbers_and_names_must_appear_in_the_evidence() -> None:
    evidence = "More than 100,000 deaths were linked to drug overdoses in 2022, said Jen Daskal."
    cfg = SupportConfig()
    assert lexically_supported("Over 100000 overdose deaths were recorded in 2022.", evidence, cfg)[0]
    assert not lexically_supported("Over 107,081 overdose deaths were recorded in 2022.", evidence, cfg)[0]
    assert not lexically_supported("Matthew Miller said deaths passed 100,000.", evidence, cfg)[0]


def test_markers_attach_to_the_sentence_they_follow() -> None:
    pieces = answer_sentences("Daskal led the team. [1] She said it was urgent [2][3]. No marker here.")
    assert [cited for _, cited in pieces] == [[1], [2, 3], []]
