"""The committed newswire evaluation set is well formed, its gold answers are where it says they
are, its unanswerable questions stay unanswerable, and the generator still reproduces it exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NEWSWIRE = REPO / "eval" / "sets" / "newswire"
CORPUS = NEWSWIRE / "corpus"
GOLD = NEWSWIRE / "gold.jsonl"
FIELDS = {"id", "type", "question", "history", "reference", "key_facts", "supporting", "answerable"}
TYPES = {"single", "number", "multi", "followup", "unrelated", "unanswerable"}
# A story opens with its headline, a blank line, then a byline, a "Published"/"Posted" line or a
# dateline lead ("OSTROW, April 28, 2022 (...) —"). Nothing else in the pages has that shape.
STORY_META = re.compile(r"^(By |Published |Posted |[A-Z][A-Z .'-]+, [A-Z][a-z]+ \d{1,2}, \d{4} )")


def load_gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]


def split_stories(text: str) -> list[tuple[str, str]]:
    """(headline, text up to the next headline) for every story on a page."""
    lines = text.split("\n")
    starts = [i for i in range(len(lines) - 2)
              if lines[i].strip() and not STORY_META.match(lines[i])
              and not lines[i + 1].strip() and STORY_META.match(lines[i + 2])]
    ends = starts[1:] + [len(lines)]
    return [(lines[s], "\n".join(lines[s:e])) for s, e in zip(starts, ends, strict=True)]


def story_text(source: str, title_contains: str) -> str:
    matches = [body for headline, body in split_stories((CORPUS / source).read_text(encoding="utf-8"))
               if title_contains in headline]
    assert len(matches) == 1, f"{source}: {len(matches)} stories titled like {title_contains!r}"
    return matches[0]


def occurs(fact: str, text: str) -> bool:
    """A key fact matches if any of its "|"-separated alternatives occurs verbatim."""
    return any(alternative in text for alternative in fact.split("|"))


GOLD_LINES = load_gold()
ANSWERABLE = [g for g in GOLD_LINES if g["answerable"]]
UNANSWERABLE = [g for g in GOLD_LINES if g["type"] == "unanswerable"]


def test_every_gold_line_parses_with_the_required_fields() -> None:
    ids = [g["id"] for g in GOLD_LINES]
    assert len(set(ids)) == len(ids)
    for g in GOLD_LINES:
        assert set(g) == FIELDS, g["id"]
        assert g["type"] in TYPES and g["question"].strip() and g["reference"].strip(), g["id"]
        assert isinstance(g["key_facts"], list) and all(isinstance(f, str) and f for f in g["key_facts"])
        assert g["answerable"] is (g["type"] != "unanswerable"), g["id"]
        assert all(isinstance(turn, str) and turn.strip() for turn in g["history"]), g["id"]
        assert bool(g["history"]) is (g["type"] == "followup"), g["id"]


def test_every_supporting_source_exists() -> None:
    for g in GOLD_LINES:
        assert bool(g["supporting"]) is g["answerable"], g["id"]
        for support in g["supporting"]:
            assert set(support) == {"source", "title_contains"}, g["id"]
            assert (CORPUS / support["source"]).is_file(), support["source"]


@pytest.mark.parametrize("gold", ANSWERABLE, ids=[g["id"] for g in ANSWERABLE])
def test_key_facts_occur_verbatim_in_the_supporting_stories(gold: dict) -> None:
    stories = [story_text(s["source"], s["title_contains"]) for s in gold["supporting"]]
    assert gold["key_facts"], "an answerable question needs key facts"
    for fact in gold["key_facts"]:
        assert any(occurs(fact, story) for story in stories), fact
    for support, story in zip(gold["supporting"], stories, strict=True):
        assert any(occurs(fact, story) for fact in gold["key_facts"]), support


def test_no_key_fact_of_an_unanswerable_question_is_planted_in_the_corpus() -> None:
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))).lower()
    for g in UNANSWERABLE:
        assert g["key_facts"], g["id"]
        for fact in g["key_facts"]:
            assert not any(alt.lower() in corpus for alt in fact.split("|")), (g["id"], fact)


def test_counts() -> None:
    pages = sorted(CORPUS.glob("*.txt"))
    stories = [split_stories(p.read_text(encoding="utf-8")) for p in pages]
    assert all(3 <= len(s) <= 7 for s in stories)
    assert sum(len(s) for s in stories) >= 200
    assert len(GOLD_LINES) >= 60
    assert len(UNANSWERABLE) >= 10
    assert set(TYPES) == {g["type"] for g in GOLD_LINES}


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    from eval.sets.make_newswire import write

    write(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(NEWSWIRE) for p in NEWSWIRE.rglob("*") if p.is_file())
    assert made == committed
    for relative in made:
        assert (tmp_path / relative).read_bytes() == (NEWSWIRE / relative).read_bytes(), relative
