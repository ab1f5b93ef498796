"""Article ranking and the time prior, on real indexes (real embedder, on-disk Chroma)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import groupby
from pathlib import Path

import pytest

from rag.retrieval.ranking import article_scores, by_article

STORIES = {
    # file: (date, title, body) - one council vote in two years, and two other stories
    "council-2022.txt": ("2022-05-10", "Council approves harbour bridge budget",
                         ("The city council voted 7-2 on Tuesday to fund the harbour bridge repairs. "
                         "Members said the bridge budget would cover steel and paint. The mayor signed it.")),
    "council-2024.txt": ("2024-05-14", "Council backs bridge spending plan",
                         ("Councillors on Tuesday backed the plan to spend on the harbour bridge. "
                         "The vote followed months of debate over repair costs. Work starts in June.")),
    "library.txt": ("2024-05-13", "New library opens downtown",
                    "A new public library opened downtown with a reading garden and a cafe."),
    "marathon.txt": ("2023-10-01", "Marathon draws record field",
                     "Runners from forty countries took part in the autumn marathon on Sunday."),
}
QUESTION = "How did the council vote on the harbour bridge budget?"


@pytest.fixture(scope="module")
def dated_rag(tmp_path_factory: pytest.TempPathFactory):
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.core.settings import Settings

    corpus = tmp_path_factory.mktemp("dated-corpus")
    for name, (day, title, body) in STORIES.items():
        (corpus / name).write_text(f"---\ntitle: {title}\ndate: {day}\n---\n{body}\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("dated-index")
    report = ingest_path(corpus, Settings(index_dir=index), progress=False)
    assert not report.errors
    return Rag(Settings(index_dir=index))


def _files(passages) -> list[str]:
    return [Path(p.source).name for p in passages]


def test_without_a_date_the_closest_wording_wins(dated_rag) -> None:
    assert _files(dated_rag.retrieve(QUESTION, 4))[0] == "council-2022.txt"
    assert _files(dated_rag.retrieve(QUESTION, 4, as_of=date(2031, 1, 6)))[0] == "council-2022.txt"


def test_as_of_prefers_the_story_of_that_time_and_drops_nothing(dated_rag) -> None:
    plain = dated_rag.retrieve(QUESTION, 10)
    dated = dated_rag.retrieve(QUESTION, 10, as_of=date(2024, 5, 17))
    assert _files(dated)[0] == "council-2024.txt"
    assert {p.chunk_id for p in dated} == {p.chunk_id for p in plain}
    # asked in 2022, the 2022 story stays first
    assert _files(dated_rag.retrieve(QUESTION, 4, as_of=date(2022, 5, 12)))[0] == "council-2022.txt"


def test_a_reference_date_far_from_every_article_changes_nothing(dated_rag) -> None:
    """The time prior adds nothing when as_of is years from every article (the product's default)."""
    far = date(2031, 1, 6)
    retriever = dated_rag.retriever
    saved = retriever.config
    try:
        retriever.config = replace(saved, time_weight=0.0)
        no_prior = dated_rag.retrieve(QUESTION, 10, as_of=far)
    finally:
        retriever.config = saved
    assert [p.chunk_id for p in dated_rag.retrieve(QUESTION, 10, as_of=far)] == [p.chunk_id for p in no_prior]
    assert len(dated_rag.retrieve(f"{QUESTION} What happened this week?", 10, as_of=far)) == len(no_prior)


def test_a_date_in_the_question_never_empties_the_results(dated_rag) -> None:
    passages = dated_rag.retrieve("What did the council decide on 3 March 1990?", 5, as_of=date(1990, 3, 4))
    assert passages and len(passages) == len(dated_rag.retrieve("What did the council decide?", 5))


def test_articles_come_best_first_with_their_passages_together(sample_rag) -> None:
    """Round one: every article's best passages (at most `per_article`) in one block, no article twice."""
    per_article = sample_rag.retriever.config.per_article
    passages = sample_rag.retrieve("What did the two sides agree on fentanyl precursors?", 12, as_of=date(2024, 2, 1))
    runs = [(a, len(list(g))) for a, g in groupby(p.article_id for p in passages)]
    first_round = []
    for article, length in runs:
        if article in first_round:
            break
        first_round.append(article)
        assert length <= per_article
    assert len(first_round) >= 2


def test_article_ranking_reorders_but_finds_the_same_articles(sample_rag) -> None:
    question = "Which agency leads the counternarcotics working group?"
    ranked = sample_rag.retrieve(question, 40, as_of=date(2024, 2, 1))
    chunk_order = sample_rag.retrieve(question, 40)
    # which copy of a near-duplicate pair is kept depends on the order; the articles found do not
    assert _articles(ranked) == _articles(chunk_order)


def _articles(passages) -> set[str]:
    return {ref.article_id for p in passages for ref in p.sources}


def test_an_article_is_scored_from_its_few_best_chunks() -> None:
    hits = [(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.6), (4, 0.5)]
    article_of = ["a", "b", "b", "b", "b"]
    assert article_scores(hits, article_of, depth=1, decay=0.5) == {"a": 0.9, "b": 0.8}
    scores = article_scores(hits, article_of, depth=2, decay=0.5)
    assert scores["b"] == pytest.approx(0.8 + 0.35) and scores["a"] == 0.9
    assert by_article(hits, article_of, scores, per_article=2) == [1, 2, 0, 3, 4]
    assert by_article(hits, article_of, {"a": 0.9, "b": 0.8}, per_article=1) == [0, 1, 2, 3, 4]
    assert by_article([], [], {}, per_article=2) == []

