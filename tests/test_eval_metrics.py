"""The eval metrics on hand-made answers, and the gold sets' honesty checks.

A wrong metric makes every later quality claim wrong, so each function is pinned on small cases
whose right answer is worked out by hand. The gold-set tests keep the questions honest: every
supporting file exists and every key fact of an answerable question is really in one of them.
"""

from __future__ import annotations

import json

import pytest

from eval import metrics as m
from eval.baseline import cite_every_sentence
from eval.goldset import REQUIRED, TYPES, GoldItem, available_sets, load_set, parse_item, set_paths
from eval.report import format_table
from eval.scoring import QuestionScore, score_question, summarize
from rag.core.types import Answer, Citation, Passage, SourceRef
from rag.generate.client import ModelUsage

FOX = "foxnews-us-china-fentanyl-talks-2024-01-30.txt"
AGG = "aggregator-nbc-fentanyl-talks-plus-npr-nyt-ft.txt"


def passage(source: str, title: str = "", duplicates: list[SourceRef] | None = None) -> Passage:
    return Passage(chunk_id=f"{source}:{title}", text="", title=title, source=source, score=0.0,
                   duplicates=duplicates or [])


def cite(number: int, quote: str) -> Citation:
    return Citation(number=number, title="t", outlet="", date="", source="s", chunk_id=str(number), quote=quote)


def answer(text: str, citations: list[Citation], abstained: bool = False) -> Answer:
    return Answer(text=text, citations=citations, abstained=abstained, mode="extractive")


# --- normalisation and key facts ------------------------------------------------------------------


def test_normalize_quotes_dashes_spaces_and_thousands() -> None:
    assert m.normalize("Daskal\u2019s  \u201cproductive\u201d\u2014start\n100,000 and 1,000,000") == (
        "daskal's \"productive\"-start 100000 and 1000000"
    )


def test_fact_alternatives_and_case() -> None:
    assert m.fact_found("100,000|107,081", "Nearly 70% of the 107081 deaths")
    assert m.fact_found("jen daskal", "JEN DASKAL said")
    assert m.fact_found("don't produce", "They talk but they don\u2019t produce.")
    assert m.fact_found("two-thirds", "more than two\u2013thirds")
    assert not m.fact_found("Wang Yi", "Wang Xiaohong spoke")


def test_numbers_do_not_match_inside_other_numbers() -> None:
    assert not m.fact_found("50", "150 times")
    assert not m.fact_found("5.7", "15.7 per 100,000")
    assert not m.fact_found("21.6", "21.65")
    assert m.fact_found("50 times", "up to 50 times stronger")
    assert m.fact_found("2019", "a 2019 crackdown.")


def test_word_facts_match_at_word_start_only() -> None:
    assert m.fact_found("sanction", "lifted the sanctions")
    assert not m.fact_found("Yu", "you said")


def test_key_fact_recall() -> None:
    facts = ["Daskal", "100,000|107,081"]
    assert m.key_fact_recall(facts, "Jen Daskal said more than 100,000 died.", False) == 1.0
    assert m.key_fact_recall(facts, "Jen Daskal led it.", False) == 0.5
    assert m.key_fact_recall(facts, "Jen Daskal led it.", True) == 0.0  # an abstention states nothing
    assert m.key_fact_recall([], "anything", False) is None


# --- retrieval ------------------------------------------------------------------------------------


def test_first_hit_rank_by_source_and_title() -> None:
    gold = [{"source": AGG, "title_contains": "Afghan"}]
    ranked = [passage(FOX), passage(AGG, "U.S.-China fentanyl talks"), passage(AGG, "Afghan CIA fighters")]
    assert m.first_hit_rank(ranked, gold) == 3
    assert m.first_hit_rank(ranked, [{"source": AGG}]) == 2
    assert m.first_hit_rank(ranked[:2], gold) is None


def test_title_contains_ignores_case_and_quote_style() -> None:
    gold = [{"source": AGG, "title_contains": "'productive' START"}]
    assert m.first_hit_rank([passage(AGG, "talks get off to a \u2018productive\u2019 start")], gold) == 1


def test_hit_through_near_duplicates() -> None:
    twin = SourceRef("c9", "US and China launch talks", "AP", "2024-01-30", "citynews.txt")
    ranked = [passage(FOX, "x"), passage("other.txt", "y", [twin])]
    assert m.first_hit_rank(ranked, [{"source": "citynews.txt"}]) == 2


def test_hit_at_and_mrr() -> None:
    ranks = [1, 2, None, 4]
    assert m.hit_at(ranks, 1) == 0.25
    assert m.hit_at(ranks, 3) == 0.5
    assert m.hit_at(ranks, 5) == 0.75
    assert m.mean_reciprocal_rank(ranks) == pytest.approx((1 + 0.5 + 0 + 0.25) / 4)
    assert m.hit_at([], 1) is None and m.mean_reciprocal_rank([]) is None


# --- abstention -----------------------------------------------------------------------------------


def test_abstention_scores() -> None:
    # (abstained, answerable): 2 right abstentions, 1 wrong abstention, 1 missed, 2 answered fine.
    outcomes = [(True, False), (True, False), (True, True), (False, False), (False, True), (False, True)]
    scores = m.abstention_scores(outcomes)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.false_refusal_rate == pytest.approx(1 / 3)


def test_abstention_scores_empty_denominators_are_none() -> None:
    scores = m.abstention_scores([(False, True)])
    assert scores.precision is None and scores.recall is None and scores.false_refusal_rate == 0.0


# --- sentences and markers ------------------------------------------------------------------------


def test_split_sentences_keeps_markers_and_abbreviations() -> None:
    text = ("More than 100,000 died in the U.S. in 2022, the U.S. Centers said. [1] "
            "They met on Jan. 30 in a China-U.S. meeting. [2][3] Daskal said \u201cit works.\u201d [1, 2] Done")
    assert m.split_sentences(text) == [
        "More than 100,000 died in the U.S. in 2022, the U.S. Centers said. [1]",
        "They met on Jan. 30 in a China-U.S. meeting. [2][3]",
        "Daskal said \u201cit works.\u201d [1, 2]",
        "Done",
    ]


def test_marker_after_abbreviation_ends_the_sentence() -> None:
    assert m.split_sentences("The cause lies in the U.S. [1] Demand matters. [2]") == [
        "The cause lies in the U.S. [1]", "Demand matters. [2]"]


def test_trailing_parenthetical_stays_with_its_sentence() -> None:
    text = "It came \u201cfrom China.\u201d (reported by Fox News and AP) [1][2] Next one. [3]"
    assert m.split_sentences(text) == [
        "It came \u201cfrom China.\u201d (reported by Fox News and AP) [1][2]", "Next one. [3]"]
    assert m.split_sentences("Deaths rose in 2022 [1] Daskal said so [2]") == [
        "Deaths rose in 2022 [1]", "Daskal said so [2]"]


def test_cited_numbers_and_strip_markers() -> None:
    assert m.cited_numbers("A [2][1] b [1, 3].") == [2, 1, 3]
    assert m.strip_markers("Daskal led it. [1][2]") == "Daskal led it."


# --- lexical support ------------------------------------------------------------------------------


def test_supports_needs_every_number() -> None:
    quote = "More than 100,000 deaths were linked to drug overdoses in 2022."
    assert m.supports("More than 100,000 deaths were linked to overdoses in 2022. [1]", [quote])
    assert not m.supports("More than 107,081 deaths were linked to overdoses in 2022. [1]", [quote])


def test_supports_needs_most_content_words() -> None:
    quote = "The Commerce Department had imposed the sanctions in 2020."
    assert m.supports("The Commerce Department imposed sanctions in 2020.", [quote])
    assert not m.supports("Beijing rejected Washington's requests over Taiwan and trade in 2020.", [quote])


def test_stem_and_content_words() -> None:
    assert m.stem("sanctions") == m.stem("sanction") == "sanction"
    assert m.content_words("The sanctions were lifted") == {"sanction", "lift"}


# --- citation metrics -------------------------------------------------------------------------------


QUOTE_DASKAL = "The head of the U.S. team, Jen Daskal, a deputy homeland security advisor, spoke."
QUOTE_DEATHS = "More than 100,000 deaths were linked to drug overdoses in 2022."


def test_citation_correctness_counts_only_cited_and_quoted_facts() -> None:
    cites = [cite(1, QUOTE_DASKAL), cite(2, QUOTE_DEATHS)]
    good = "Jen Daskal led the U.S. team. [1] More than 100,000 died in 2022. [2]"
    assert m.citation_correctness(["Daskal", "100,000"], good, cites) == m.Tally(2, 2)
    unmarked = "Jen Daskal led the U.S. team. More than 100,000 died in 2022. [2]"
    assert m.citation_correctness(["Daskal", "100,000"], unmarked, cites) == m.Tally(1, 2)
    wrong_quote = "Jen Daskal led the U.S. team. [2]"
    assert m.citation_correctness(["Daskal", "100,000"], wrong_quote, cites) == m.Tally(0, 1)


def test_citation_recall_and_precision() -> None:
    cites = [cite(1, QUOTE_DASKAL), cite(2, QUOTE_DEATHS), cite(3, "Unrelated text about Toronto subways.")]
    text = (
        "Jen Daskal headed the U.S. team. [1][3] "  # supported; [3] is not a good citation
        "More than 100,000 deaths were linked to overdoses in 2022. [2] "  # supported
        "Jen Daskal, a deputy homeland security advisor, said 100,000 died. [1][2] "  # [1]+[2] only
        "China refused to cooperate."  # no citation at all
    )
    assert m.citation_recall(text, cites) == m.Tally(3, 4)
    assert m.citation_precision(text, cites) == m.Tally(2, 5)


def test_dangling_marker_is_not_support() -> None:
    assert m.citation_recall("Jen Daskal led it. [9]", [cite(1, QUOTE_DASKAL)]) == m.Tally(0, 1)
    assert m.citation_precision("Jen Daskal led it. [9]", [cite(1, QUOTE_DASKAL)]) == m.Tally(0, 1)


def test_ratio_and_percentile() -> None:
    assert m.ratio(m.Tally(1, 4)) == 0.25 and m.ratio(m.Tally(0, 0)) is None
    assert m.percentile([40, 10, 30, 20], 50) == 25
    assert m.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48)
    assert m.percentile([], 50) is None


# --- scoring a question end to end (no index) -----------------------------------------------------


def _item(**overrides: object) -> GoldItem:
    line = {"id": "t1", "type": "single", "question": "Who led the U.S. delegation?", "history": [],
            "reference": "Jen Daskal", "key_facts": ["Daskal"], "supporting": [{"source": FOX}],
            "answerable": True, **overrides}
    return parse_item(json.dumps(line))


def test_score_and_summarize() -> None:
    good = score_question(_item(), answer("Jen Daskal led it. [1]", [cite(1, QUOTE_DASKAL)]),
                          [passage("x.txt"), passage(FOX)], 100.0)
    refused = score_question(_item(id="t2"), answer("The corpus does not say.", [], abstained=True),
                             [passage(FOX)], 300.0)
    right_refusal = score_question(
        _item(id="t3", type="unanswerable", key_facts=[], supporting=[], answerable=False),
        answer("The corpus does not say.", [], abstained=True), [], 200.0)
    assert (good.hit_rank, good.facts_found, good.fact_citations) == (2, 1, m.Tally(1, 1))
    summary = summarize([good, refused, right_refusal])
    assert summary["hit@1"] == 0.5 and summary["hit@3"] == 1.0 and summary["mrr"] == 0.75
    assert summary["key_fact_recall"] == 0.5
    assert summary["citation_correctness"] == 1.0 and summary["citation_recall"] == 1.0
    assert summary["abstention_precision"] == 0.5 and summary["abstention_recall"] == 1.0
    assert summary["false_refusal_rate"] == 0.5
    assert summary["p50_ms"] == 200.0 and summary["n"] == 3
    assert "key-fact recall" in format_table({"rag": summary})
    assert summary["prompt_tokens_p50"] is None  # no model answered


def test_model_usage_is_summarised_over_the_answers_that_report_it() -> None:
    def asked(prompt: int, cached: int, prompt_ms: float | None) -> QuestionScore:
        reply = answer("Jen Daskal led it. [1]", [cite(1, QUOTE_DASKAL)])
        reply.model_usage = ModelUsage(prompt, cached, 5, prompt_ms).as_dict()
        return score_question(_item(), reply, [passage(FOX)], 100.0)

    scores = [asked(600, 200, 4000.0), asked(700, 300, None), asked(900, 250, 6000.0),
              score_question(_item(), answer("Jen Daskal led it. [1]", [cite(1, QUOTE_DASKAL)]), [], 50.0)]
    summary = summarize(scores)
    assert (summary["prompt_tokens_p50"], summary["cached_tokens_p50"]) == (700, 250)
    assert summary["model_prompt_ms_p50"] == 5000.0  # only the two servers that timed it


def test_baseline_cites_every_sentence_of_its_node() -> None:
    assert cite_every_sentence("Daskal led it. Wang spoke.", 2) == "Daskal led it. [2] Wang spoke. [2]"


# --- the gold sets --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", available_sets())
def test_gold_lines_parse_with_required_fields(name: str) -> None:
    gold_path, _ = set_paths(name)
    for number, line in enumerate(gold_path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            raw = json.loads(line)
            assert not set(REQUIRED) - set(raw), f"line {number}: missing {set(REQUIRED) - set(raw)}"
            assert raw["type"] in TYPES, f"line {number}: type {raw['type']}"
    ids = [item.id for item in load_set(name).items]
    assert len(ids) == len(set(ids)), "duplicate ids"


@pytest.mark.parametrize("name", available_sets())
def test_gold_items_are_consistent(name: str) -> None:
    for item in load_set(name).items:
        assert item.type != "unanswerable" or not item.answerable, item.id
        assert bool(item.supporting) == item.answerable, item.id
        assert bool(item.key_facts) or not item.answerable, item.id
        assert item.history or item.type != "followup", item.id
        assert item.question.strip() and item.reference.strip(), item.id


@pytest.mark.parametrize("name", available_sets())
def test_gold_supporting_files_exist_and_hold_the_key_facts(name: str) -> None:
    gold = load_set(name)
    for item in gold.items:
        texts = []
        for support in item.supporting:
            path = gold.corpus_dir / support["source"]
            assert path.is_file(), f"{item.id}: {support['source']} is not in {gold.corpus_dir}"
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        for fact in item.key_facts if item.answerable else ():
            assert any(m.fact_found(fact, t) for t in texts), f"{item.id}: {fact!r} is in no supporting file"


@pytest.mark.parametrize("name", available_sets())
def test_gold_unanswerable_facts_are_nowhere_in_the_corpus(name: str) -> None:
    """An unanswerable question may name the detail it hinges on; that detail must be absent."""
    gold = load_set(name)
    corpus = [p.read_text(encoding="utf-8", errors="replace") for p in gold.corpus_dir.rglob("*") if p.is_file()]
    for item in gold.items:
        for fact in item.key_facts if not item.answerable else ():
            assert not any(m.fact_found(fact, t) for t in corpus), f"{item.id}: {fact!r} is in the corpus"


def test_sample_gold_set_mix() -> None:
    items = load_set("sample").items
    count = {t: sum(i.type == t for i in items) for t in TYPES}
    assert len(items) >= 44
    assert count["followup"] >= 5 and count["unrelated"] >= 5 and count["unanswerable"] >= 10
    assert count["single"] and count["number"] and count["multi"]


def test_citation_metadata_counts_as_evidence_for_outlets_and_resolved_dates() -> None:
    from rag.core.types import Citation

    cite = Citation(number=1, title="T", outlet="Fox News", date="2024-01-30", source="f.txt", chunk_id="c",
                    quote="Officials met Tuesday in Beijing to discuss fentanyl.")
    sentence = "Officials met Tuesday (30 January 2024) in Beijing to discuss fentanyl (reported by Fox News) [1]."
    assert m.ratio(m.citation_precision(sentence, [cite])) == 1.0
    wrong_date = Citation(**{**cite.__dict__, "date": "2023-05-02"})
    assert m.ratio(m.citation_precision(sentence, [wrong_date])) == 0.0
