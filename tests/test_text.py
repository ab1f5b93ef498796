"""Sentence splitting and stopwords: the shortcuts that spare a cold start NLTK give NLTK's results."""

from __future__ import annotations

import pytest

from rag.core import text


@pytest.mark.parametrize("sample", [
    "How many Americans died of drug overdoses?",
    "  Who won the vote  ",
    'He said "we will stop."',
    "What did the U.S. delegation ask for?",
    "Jan. 30 was cold. It snowed!",
    "Really?! Yes.",
    "The vote (held on Friday.) passed",
    "",
])
def test_a_text_is_split_as_punkt_splits_it(sample: str) -> None:
    by_punkt = [s.strip() for s in text._punkt().tokenize(sample) if s.strip()]
    assert text.split_sentences(sample) == by_punkt


def test_the_stopword_file_read_directly_is_nltks_list() -> None:
    from nltk.corpus import stopwords

    text._on_nltk_path()
    assert text._stopwords() == frozenset(stopwords.words("english"))
    assert {"the", "of", "which"} <= text._stopwords()
