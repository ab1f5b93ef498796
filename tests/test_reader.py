"""The reader on text written for these tests (not the sample corpus): answer types read by the
NER model, the short answer the text leads with, "why", "summarize", the question's own date,
the refusal decision, and `as_of` through the CLI and both HTTP APIs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from rag.answer.compose import extractive_answer
from rag.core.types import Citation, Passage
from rag.evidence.refusal import AbstainConfig, RefusalSignals, confidence, model_declines, should_abstain
from rag.language import entities
from rag.language.entities import person_names
from rag.query.answer_type import answer_spans, labels_for_noun, wanted_labels
from rag.query.profile import head_noun, profile, without_dates
from rag.query.timeframe import TimeWindow, preferred_window
from rag.read.extractive import (
    Candidate,
    ExtractiveConfig,
    answers_kind,
    candidates,
    carries,
    read_types,
    score,
    select,
    unmet_specifics,
)
from rag.retrieval.reading import whole_articles_first

ARTICLES = {
    "2024-03-04-ferry-strike.txt": """---
title: Island ferry crews walk out over pay
date: 2024-03-04
outlet: Coast Courier
---
Ferry crews on the northern island routes stopped work on Monday, stranding about 4,000 passengers.

The strike was called because the operator, Tidewater Shipping, froze wages for a third year, the union said.

Union leader Marta Okonkwo said talks would resume on Thursday in Port Ellis.

The operator said 12 of its 19 vessels were idle and that it had lost about $2 million.
""",
    "2024-03-05-orchard-grant.txt": """---
title: Valley orchards win drought grant
date: 2024-03-05
outlet: Farm Ledger Weekly
---
Apple growers in the Calder Valley will share a drought relief grant of $8 million, the regional council announced.

The money will pay for drip irrigation on roughly 300 farms, council member Julian Ferreira said.

Growers had asked for help after two dry summers cut the harvest by 40 percent.
""",
    "2024-03-06-museum.txt": """---
title: Glass museum reopens after renovation
date: 2024-03-06
outlet: City Arts Review
---
The Harlow Glass Museum reopened on Wednesday after a two-year renovation that cost $15 million.

The new east wing, which holds 600 works, was designed by the architect Priya Raman.

Visitors queued for an hour to see the restored chandelier gallery.
""",
}


@pytest.fixture(scope="module")
def own_rag(tmp_path_factory: pytest.TempPathFactory):
    """A real index (real embedder, real Chroma) over the three articles above."""
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.core.settings import Settings

    corpus = tmp_path_factory.mktemp("reader-corpus")
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("reader-index")
    report = ingest_path(corpus, Settings(index_dir=index_dir), progress=False)
    assert not report.errors, report.errors
    return Rag(Settings(index_dir=index_dir))


# --- question profile ------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "head"), [
    ("Which company runs the island ferries?", "company"),
    ("Which two valley towns lost their harvest?", "town"),
    ("What is the name of the architect who designed the wing?", "architect"),
    ("What state passed the law?", "state"),
    ("What did the council announce?", ""),
    ("How many days did the ferry strike last?", "day"),
    # a modifier the tags do not skip ("-built") stands between: the dependency parse links them
    ("Which US-built turbines did the council order?", "turbine"),
])
def test_head_noun_is_read_from_part_of_speech_tags(question: str, head: str) -> None:
    assert head_noun(question) == head


@pytest.mark.parametrize(("question", "names"), [
    # a quiz question sets the scene, then asks: its second sentence's capital letter is no name
    ("A ferry sank off Port Ellis this week. In which month was it built?", ("Port Ellis",)),
    ("Floods hit Port Ellis. In which Inland town did roofs fall?", ("Port Ellis", "Inland")),
    ("Which Dutch shipyard built the Tidewater ferries?", ("Dutch", "Tidewater")),  # a demonym still restricts
    ("Which company did OpenAI buy?", ("Open",)),  # the head of a run-together name still counts
])
def test_names_are_capitalised_phrases_the_tagger_reads_as_more_than_function_words(
        question: str, names: tuple[str, ...]) -> None:
    assert profile(question).names == names


def test_a_hyphenated_name_is_mentioned_by_its_last_part() -> None:
    q = profile("Which state closed the US-Canada crossing?")
    passage = Passage(chunk_id="c", text="", title="Border news", source="s", score=1.0)
    assert answers_kind(Candidate("Officials in Maine closed the Canada crossing on Friday.", passage), q)


def test_a_date_in_the_question_is_not_a_number_the_answer_must_hold() -> None:
    q = profile("Which company froze wages this week? (Question date: 2024-03-08.)")
    assert q.numbers == frozenset()
    assert not {"week", "question", "date", "2024"} & q.terms
    assert q.kind == "which" and q.head == "company"
    assert without_dates("Who won on January 26, 2023?") == "Who won on ?"


def test_initials_do_not_end_the_asking_sentence() -> None:
    q = profile("Which city hosted the festival that Mary J. Blige opened?")
    assert q.kind == "which" and q.head == "city"


@pytest.mark.parametrize(("noun", "label"), [("company", "ORG"), ("city", "GPE"), ("country", "GPE")])
def test_which_x_labels_come_from_the_models_label_descriptions(noun: str, label: str) -> None:
    assert label in labels_for_noun(noun)


def test_wanted_labels_by_question_kind() -> None:
    assert wanted_labels(profile("Who designed the east wing?")) == ("PERSON",)
    assert wanted_labels(profile("How much money will the growers share?")) == ("MONEY",)
    assert wanted_labels(profile("What percentage of the harvest was lost?")) == ("PERCENT",)
    assert "DATE" in wanted_labels(profile("When did the museum reopen?"))


# --- answer spans ----------------------------------------------------------------------------

def test_who_span_is_a_person_the_question_does_not_name() -> None:
    q = profile("Who designed the new east wing?")
    spans = answer_spans("The new east wing, which holds 600 works, was designed by the architect Priya Raman.", q,
                         ("PERSON",))
    assert spans and spans[0].text == "Priya Raman"
    q_named = profile("What did Priya Raman design?")
    assert answer_spans("Priya Raman designed the wing.", q_named, ("PERSON",)) == []


@pytest.mark.parametrize("question", ["Which country did the US president visit?",
                                      "Which country abstained from the US-backed resolution?"])
def test_a_place_the_question_names_in_other_spelling_is_not_the_answer(question: str) -> None:
    q = profile(question)
    spans = answer_spans("The U.S. president and his aides landed in Angola on Monday.", q, wanted_labels(q))
    assert [e.text for e in spans] == ["Angola"]


def test_a_figure_the_sentence_leaves_out_costs_but_a_missing_year_rules_it_out() -> None:
    q = profile("Who won after 3 days of talks in 2021?")
    passage = Passage(chunk_id="c", text="", title="t", source="s.txt", score=1.0, date="2021-05-02")
    assert unmet_specifics(Candidate("Ada Reyes won the talks.", passage), q) == 1
    assert unmet_specifics(Candidate("Ada Reyes won after 3 days.", passage), q) == 0
    assert answers_kind(Candidate("Ada Reyes won the talks.", passage), q)
    undated = replace(passage, date="")
    assert not answers_kind(Candidate("Ada Reyes won the talks.", undated), q)


def test_an_answer_many_read_sentences_name_beats_one_named_once() -> None:
    """Answer redundancy: two sentences naming Tidewater outvote one slightly better naming Harbor Lines."""
    q = profile("Which company froze wages?")
    said = [("Harbor Lines froze wages at its ferry depots, a spokesman said.", 0.62),
            ("Tidewater Shipping froze wages for a third year, the union said.", 0.60),
            ("Crews blamed Tidewater Shipping, which froze pay in March.", 0.55)]
    passage = Passage(chunk_id="c", text=" ".join(t for t, _ in said), title="t", source="s.txt", score=1.0)
    for vote, winner in ((0.0, "Harbor Lines"), (0.4, "Tidewater Shipping")):
        cands = [Candidate(text, passage, score=score) for text, score in said]
        read_types(cands, q, wanted_labels(q), ExtractiveConfig(vote_weight=vote))
        best = max(cands, key=lambda c: c.score)
        assert best.span is not None and best.span.text == winner, vote


def test_a_sentence_from_the_questions_time_is_preferred_but_is_not_evidence(sample_rag) -> None:
    q = profile("Which company froze wages this week?")
    stories = (("old", "Harbor Lines", "2019-03-04"), ("new", "Tidewater Shipping", "2024-03-04"))
    passages = [Passage(chunk_id=cid, text=f"{name} froze wages for its ferry crews.", title="Wages",
                        source=f"{cid}.txt", score=1.0, article_id=cid, date=day) for cid, name, day in stories]
    q_vec = np.asarray(sample_rag.retriever.embed_query(q.text), dtype=np.float32)

    def scored(window: TimeWindow | None) -> dict[str, Candidate]:
        cands = candidates(passages)
        score(cands, q, q_vec, sample_rag.embedder, ExtractiveConfig(), window)
        return {c.passage.chunk_id: c for c in cands}

    undated, dated = scored(None), scored(preferred_window(q.text, date(2024, 3, 6)))
    assert dated["new"].time_prior > 0.25 and dated["old"].time_prior < 0.01
    assert dated["new"].score > dated["old"].score
    assert dated["new"].score - dated["new"].time_prior == pytest.approx(undated["new"].score)


def test_the_best_articles_are_read_whole(sample_rag) -> None:
    top = sample_rag.retrieve("Who led the U.S. delegation to Beijing?", 1)[0]
    whole = [p.chunk_id for p in sample_rag.article_passages(top.article_id)]
    assert len(whole) > 1
    cfg = sample_rag.extractive_config
    reading = whole_articles_first(sample_rag.retriever, [top], cfg.read_articles, cfg.read_chunks)
    assert [p.chunk_id for p in reading] == whole


def test_a_surname_answer_is_given_as_the_full_name_the_read_sentences_use() -> None:
    """News names a person in full once, then by surname: the short answer is the full name."""
    q = profile("Which player scored 40,000 career points?")
    said = [("Thompson became the first player in league history to score 40,000 career points.", 0.70),
            ("Fans cheered as Michael Thompson drove to the basket in the second quarter.", 0.50),
            ("Coach Lena Diaz said the team had planned the play for a week.", 0.45)]
    passage = Passage(chunk_id="c", text=" ".join(t for t, _ in said), title="t", source="s.txt", score=1.0)
    cands = [Candidate(text, passage, score=score) for text, score in said]
    read_types(cands, q, wanted_labels(q), ExtractiveConfig())
    best = max(cands, key=lambda c: c.score)
    assert best.sentence.startswith("Thompson became")  # tagged ORG by the model, alone
    assert best.span is not None and (best.span.text, best.span.label) == ("Michael Thompson", "PERSON")
    assert best.sentence[best.span.start:best.span.end] == "Thompson"  # offsets stay in its own sentence


def test_a_stray_quote_mark_is_not_part_of_the_short_answer() -> None:
    sentence = 'Biden spoke of "extremist forces against the message of "Morehouse" College in his address.'
    passage = Passage(chunk_id="c", text=sentence, title="t", source="s.txt", score=1.0)
    start = sentence.index('Morehouse"')
    span = entities.Entity('Morehouse" College', "ORG", start, start + len('Morehouse" College'))
    answer = extractive_answer([Candidate(sentence, passage, score=0.8, span=span)], kind="which")
    assert answer.short_answer == "Morehouse College" and answer.text.startswith("Morehouse College — ")
    balanced = replace(span, text="“Beetlejuice”")
    assert extractive_answer([Candidate(sentence, passage, score=0.8, span=balanced)]).short_answer == "“Beetlejuice”"


def test_how_much_span_is_an_amount_of_money() -> None:
    q = profile("How much money will apple growers share?")
    spans = answer_spans("Apple growers will share a grant of $8 million, the regional council announced.", q,
                         wanted_labels(q))
    assert spans and "8 million" in spans[0].text


def test_how_many_x_prefers_the_span_that_counts_x() -> None:
    q = profile("How many years has the harvest fair been held?")
    assert {"CARDINAL", "DATE"} <= set(wanted_labels(q))
    spans = answer_spans("Opened on Tuesday by 300 volunteers, the harvest fair marks 40 years.", q, wanted_labels(q))
    assert [s.text for s in spans] == ["40 years", "300"]  # "Tuesday", a date that counts no years, is not one
    assert wanted_labels(profile("How many towns lost their harvest?")) == ("CARDINAL", "QUANTITY")  # a count


def test_person_names_come_from_the_model_not_a_word_list() -> None:
    names = person_names("Union leader Marta Okonkwo met Tidewater Shipping in Port Ellis on Thursday.")
    assert names == ["Marta Okonkwo"]


# --- refusal ---------------------------------------------------------------------------------

def test_refusal_is_decided_from_the_confidence_threshold() -> None:
    strong = RefusalSignals(best_sentence=0.8, dense_top=0.7, coverage=1.0, best_coverage=1.0, agreement=1.0, typed=1.0)
    weak = replace(strong, best_sentence=0.3, coverage=0.2)
    cfg = AbstainConfig(threshold=0.4)
    assert confidence(strong) == pytest.approx(0.8)
    assert not should_abstain(strong, cfg)
    assert should_abstain(weak, cfg)
    assert not should_abstain(weak, cfg, kind="summary")  # a summary is answered from whatever was found
    assert should_abstain(replace(weak, dense_top=0.0), cfg, kind="summary")


def test_a_model_answer_without_citations_or_saying_not_covered_is_a_refusal() -> None:
    cite = Citation(number=1, title="t", outlet="o", date="", source="s", chunk_id="c", quote="q")
    assert model_declines("The corpus does not say.", [cite])
    assert model_declines("Crews struck.", [])
    assert not model_declines("Crews struck [1].", [cite])


# --- end to end over a real index --------------------------------------------------------------

def test_factoid_answer_leads_with_the_short_answer(own_rag) -> None:
    answer = own_rag.ask("Which company froze wages?")
    assert not answer.abstained
    assert answer.short_answer == "Tidewater Shipping"
    assert answer.text.startswith("Tidewater Shipping — ")
    assert "[1]" in answer.text


def test_who_is_x_answers_what_x_is_not_another_person(own_rag) -> None:
    assert profile("Who is Marta Okonkwo?").kind == "identity"
    assert profile("Who designed the east wing?").kind == "who"
    answer = own_rag.ask("Who is Marta Okonkwo?")
    assert not answer.abstained
    assert answer.short_answer == ""
    assert answer.text.startswith("Union leader Marta Okonkwo said")


def test_why_prefers_the_sentence_that_gives_a_cause(own_rag) -> None:
    answer = own_rag.ask("Why did the ferry crews stop work?")
    assert not answer.abstained
    assert "because" in answer.text.split("[")[0]


def test_summarize_gives_cited_lead_sentences_not_a_refusal(own_rag) -> None:
    answer = own_rag.ask("Summarize the news about the glass museum.")
    assert not answer.abstained
    assert answer.text.startswith("The Harlow Glass Museum reopened on Wednesday")
    assert answer.citations and answer.citations[0].title == "Glass museum reopens after renovation"


def test_the_question_date_does_not_turn_an_answer_into_a_refusal(own_rag) -> None:
    plain = own_rag.ask("How much money did the operator lose?")
    dated = own_rag.ask("How much money did the operator lose? (Question date: 2024-03-08.)")
    assert not plain.abstained and not dated.abstained
    assert "$2 million" in dated.text


def as_of_seen_by_retrieval(rag, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The `as_of` of every retrieval `rag` makes from now on, in order (the real retrieval still runs)."""
    seen: list[object] = []
    original = rag.retrieve

    def spy(question, k=None, **kwargs):
        seen.append(kwargs.get("as_of"))
        return original(question, k, **kwargs)

    monkeypatch.setattr(rag, "retrieve", spy)
    return seen


def test_as_of_reaches_retrieval_and_bad_dates_are_refused(own_rag, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.core.errors import InvalidQuestionError

    seen = as_of_seen_by_retrieval(own_rag, monkeypatch)
    own_rag.ask("Who designed the east wing?", as_of="2024-03-07")
    own_rag.ask("Who designed the east wing?")
    own_rag.ask("Who designed the east wing this week?")
    # Without a date, time-aware retrieval only when the question names a time (then against today).
    assert seen == [date(2024, 3, 7), None, date.today()]
    with pytest.raises(InvalidQuestionError, match="as_of"):
        own_rag.ask("Who designed the east wing?", as_of="last Tuesday")


def test_cli_ask_takes_as_of(own_rag, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import rag
    from ui.cli import main

    seen = {}

    def fake_ask(question, history=None, as_of=None, **kwargs):
        seen["as_of"] = as_of
        return own_rag.ask(question, history, as_of=as_of)

    monkeypatch.setattr(rag, "ask", fake_ask)
    assert main(["ask", "Who designed the east wing?", "--as-of", "2024-03-07", "--json"]) == 0
    assert seen["as_of"] == "2024-03-07"
    assert json.loads(capsys.readouterr().out)["short_answer"] == "Priya Raman"


def test_http_apis_take_as_of(own_rag, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from ui import openai_api
    from ui.api_routes import api_router

    seen = as_of_seen_by_retrieval(own_rag, monkeypatch)
    app = FastAPI()
    app.include_router(api_router(own_rag))
    openai_api.install(app, own_rag)
    client = TestClient(app)
    ok = client.post("/api/ask", json={"question": "Who designed the east wing?", "as_of": "2024-03-07"})
    assert ok.status_code == 200, ok.text
    assert client.post("/api/ask", json={"question": "Who?", "as_of": "soon"}).status_code == 422
    chat = client.post("/v1/chat/completions", json={
        "model": "news-rag", "as_of": "2024-03-01",
        "messages": [{"role": "user", "content": "Who designed the east wing?"}]})
    assert chat.status_code == 200, chat.text
    assert seen == [date(2024, 3, 7), date(2024, 3, 1)]


def test_the_page_highlights_the_short_answer(own_rag) -> None:
    from ui import render
    from ui.chat import Turn

    answer = own_rag.ask("Who designed the new east wing?")
    page = render.turn_html(Turn(question=answer.question, answer=answer), 0)
    assert '<mark class="short-answer">Priya Raman</mark>' in page
    assert page.count('class="short-answer"') == 1


def test_the_page_reads_the_asked_on_field() -> None:
    from rag.core.errors import InvalidQuestionError
    from ui.chat import parse_as_of

    assert parse_as_of("") is None
    assert parse_as_of("2024-03-07") == "2024-03-07"
    with pytest.raises(InvalidQuestionError):
        parse_as_of("next week")


def test_reader_modules_name_nothing_of_the_sample_corpus() -> None:
    """Words of the sample pages that the old name list and question patterns carried."""
    rag_dir = Path(__file__).resolve().parent.parent / "rag"
    source = " ".join(p.read_text(encoding="utf-8") for p in rag_dir.rglob("*.py"))
    for word in ("Diaoyutai", "Counternarcotics", "Zero Units", "Daskal", "sum up", "both sides", "_initials"):
        assert word not in source, word


def test_entities_of_a_batch_match_one_sentence_at_a_time() -> None:
    """The reader runs its sentences through the NER model in one batch; nothing may change."""
    sentences = ["Ada Lovelace met Charles Babbage in London in June 1833.",
                 "Acme Corp. paid $4 million to settle, the company said on Tuesday.",
                 "Ada Lovelace met Charles Babbage in London in June 1833.",
                 "No names here at all."]
    batched = entities.entities_of(sentences)
    assert batched[0] == batched[2]
    assert {e.label for e in batched[0]} >= {"PERSON", "GPE", "DATE"}
    assert batched[3] == ()
    entities.ENTITY_CACHE.clear()
    assert [entities.entities(s) for s in sentences] == batched


def test_batch_cache_computes_each_missing_text_once_and_drops_the_least_recent() -> None:
    from rag.core.batch_cache import BatchCache

    calls: list[list[str]] = []

    def upper(texts: list[str]) -> list[str]:
        calls.append(texts)
        return [t.upper() for t in texts]

    cache: BatchCache[str] = BatchCache(2)
    assert cache.get_many(["a", "b", "a"], upper) == ["A", "B", "A"]
    assert calls == [["a", "b"]]
    assert cache.get_many(["a"], upper) == ["A"]  # a is now the most recent
    cache.get_many(["c"], upper)  # over the size: b goes
    assert cache.get_many(["a", "b"], upper) == ["A", "B"]
    assert calls[-1] == ["b"]


def test_two_sentences_of_one_passage_share_its_number_and_both_are_quoted() -> None:
    text = "Rates rose by half a point on Wednesday. Markets fell on the news. Banks cut lending."
    passage = Passage("c0", text, "Markets", "a.txt", 0.5, article_id="a")
    first, second = "Rates rose by half a point on Wednesday.", "Banks cut lending."
    answer = extractive_answer([Candidate(first, passage, score=0.8), Candidate(second, passage, score=0.7)])
    assert [c.number for c in answer.citations] == [1]
    assert answer.text.count("[1]") == 2
    assert first in answer.citations[0].quote and second in answer.citations[0].quote


def test_a_short_answer_stated_in_the_sentence_before_is_quoted_with_it() -> None:
    """The model may answer from the sentence before the one it cites: the quote then holds both,
    so the citation shows what backs the short answer leading the sentence."""
    before, sentence = "Only 2.8% of the doses went to rural clinics.", "City hospitals received nearly 60 percent."
    passage = Passage("c0", f"{before} {sentence}", "Vaccine doses", "a.txt", 0.5, article_id="a")
    answer = extractive_answer([Candidate(sentence, passage, context=before, score=0.8)], short="2.8%")
    assert answer.citations[0].quote == f"{before} {sentence}"
    plain = extractive_answer([Candidate(sentence, passage, context=before, score=0.8)], short="60 percent")
    assert plain.citations[0].quote == sentence


def test_a_short_line_sharing_a_sentences_words_is_no_reprint_to_cite() -> None:
    """A line whose words are all in the chosen sentence (a headline-like summary of it)
    does not hold that sentence: citing it beside the sentence would cite what does not support it."""
    long_text = ("The Harbor Fund gave the first grant of its kind to rebuild the ferry pier at Port Ellis, "
                 "the council said on Monday.")
    short_line = "The Harbor Fund gave the first grant of its kind at Port Ellis"
    reprint = ("The Harbor Fund gave the first grant of its kind to rebuild the ferry pier at Port Ellis, "
               "officials said.")
    chosen_passage = Passage("c0", long_text, "Pier grant", "a.txt", 0.9, article_id="a")
    q = profile("Who rebuilt the pier?")
    cands = [Candidate(long_text, chosen_passage, score=0.9),
             Candidate(short_line, Passage("c1", short_line, "Grants", "b.txt", 0.5, article_id="b"), score=0.6),
             Candidate(reprint, Passage("c2", reprint, "Pier", "c.txt", 0.5, article_id="c"), score=0.5)]
    chosen = select(cands, ExtractiveConfig(), q.wants_list)
    assert [c.sentence for c in chosen] == [long_text]
    assert [c.passage.chunk_id for c in chosen[0].also] == ["c2"]


def test_a_copy_with_other_figures_carries_no_sentence() -> None:
    """A citation beside a sentence must back its figures: a rewrite rounding them is no reprint."""
    sentence = "Harlow Foods recalled 9,535 cases of apple juice sold in six-packs, the agency said."
    assert carries("Harlow Foods recalled 9,535 cases of apple juice sold in six-packs on Friday.", sentence)
    assert not carries("Harlow Foods recalled almost 10,000 cases of apple juice sold in six-packs.", sentence)
