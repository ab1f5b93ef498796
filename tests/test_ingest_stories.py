"""Multi-story pages split into one `Article` per story, each with its own title, date, byline and
outlet: checked on every newswire page against the generator's own story list, on the gold
questions' supporting stories, on small synthetic pages for each layout rule, and on pages in
shapes the generator never makes (other separators, digests, archives, CNN datelines, bare
"Posted" labels). tests/test_ingest_real_pages.py checks the splitter on real articles."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.sets import make_newswire
from eval.sets._newswire_families import all_families
from eval.sets._newswire_filler import Draw, filler
from eval.sets._newswire_model import Batch
from ingest.article import Article
from ingest.clean import parse_page
from ingest.parse import parse_file

NEWSWIRE = Path(__file__).resolve().parent.parent / "eval" / "sets" / "newswire"
CORPUS = NEWSWIRE / "corpus"
GOLD = [json.loads(line) for line in (NEWSWIRE / "gold.jsonl").read_text("utf-8").splitlines()]
PAGE_CHROME = [
    "Menu", "Sign in", "Home / News", "| Local |", "About us", "Share this story", "ADVERTISEMENT",
    "Advertisement", "* *", "More headlines", "Copyright", "©", "All rights reserved",
    "morning briefing", "provided by our partner", "Today's top stories", "Skip to content",
]  # fmt: skip

DATELINE_LEAD = re.compile(r"[A-Z][A-Z .'’-]+(?:, [A-Z][a-z]+ \d{1,2}, \d{4})? \([^()]+\) — [A-Z]")


@dataclass(frozen=True)
class Expected:
    """What the generator put on a page for one story."""

    title: str
    date: str
    byline: str
    outlet: str


def generator_pages() -> dict[str, list[Expected]]:
    """The stories on each page, replayed from the generator with the steps `build` takes."""
    rng = random.Random(make_newswire.SEED)
    families = all_families()
    batch = Batch(list(families.stories))
    extra = filler(Draw(rng), make_newswire.TOTAL_STORIES - len(families.stories))
    batch.extend(Batch(extra.stories))
    pages = make_newswire.make_pages(rng, batch.stories)
    rendered = {p.name: make_newswire.render_page(p, rng) for p in pages}
    assert rendered == {p.name: p.read_text("utf-8") for p in CORPUS.glob("*.txt")}, (
        "the replay no longer reproduces the committed corpus: follow make_newswire.build"
    )
    return {
        p.name: [
            Expected(s.headline, s.date.isoformat(), s.byline or "", credit)
            for s, credit in zip(p.stories, p.credits, strict=True)
        ]
        for p in pages
    }


EXPECTED = generator_pages()


@pytest.fixture(scope="module")
def parsed() -> dict[str, list[Article]]:
    return {name: parse_file(CORPUS / name, name) for name in EXPECTED}


def test_corpus_has_all_stories() -> None:
    assert len(EXPECTED) == 45
    assert sum(map(len, EXPECTED.values())) == make_newswire.TOTAL_STORIES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_one_article_per_story(parsed: dict[str, list[Article]], name: str) -> None:
    articles = parsed[name]
    assert len(articles) == len(EXPECTED[name])
    assert [a.index for a in articles] == list(range(len(articles)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_story_metadata(parsed: dict[str, list[Article]], name: str) -> None:
    got = [Expected(a.title, a.date, a.byline, a.outlet) for a in parsed[name]]
    assert got == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_chrome_is_dropped(parsed: dict[str, list[Article]], name: str) -> None:
    for article in parsed[name]:
        text = "\n".join(article.paragraphs + article.captions)
        assert [c for c in PAGE_CHROME if c in text] == []
        assert DATELINE_LEAD.match(article.paragraphs[0])  # the story's own text opens the body


ANSWERABLE = [g for g in GOLD if g["answerable"]]


def occurs(fact: str, text: str) -> bool:
    """A key fact matches if any of its "|"-separated alternatives occurs verbatim."""
    return any(alternative in text for alternative in fact.split("|"))


@pytest.mark.parametrize("gold", ANSWERABLE, ids=[g["id"] for g in ANSWERABLE])
def test_gold_stories_are_single_articles_holding_the_facts(
    parsed: dict[str, list[Article]], gold: dict
) -> None:
    """Each supporting headline names exactly one article on its page; every key fact is in one
    of those articles (a multi-story question spreads them) and each article holds some."""
    texts = []
    for support in gold["supporting"]:
        matches = [a for a in parsed[support["source"]] if support["title_contains"] in a.title]
        assert len(matches) == 1, support
        texts.append("\n".join(matches[0].paragraphs + matches[0].captions))
    for fact in gold["key_facts"]:
        assert any(occurs(fact, text) for text in texts), fact
    for support, text in zip(gold["supporting"], texts, strict=True):
        assert any(occurs(fact, text) for fact in gold["key_facts"]), support


# ---------------------------------------------------------------- rules on synthetic pages


def page(*blocks: str) -> str:
    return "\n\n".join(blocks)


def summary(articles: list[Article]) -> list[tuple[str, str, str, str]]:
    return [(a.title, a.date, a.byline, a.outlet) for a in articles]


def test_dateline_stories_between_separators() -> None:
    text = page(
        "Riverside Gazette | Home | Local | Sports",
        "Mill reopens after two-year closure",
        "ALDEN, March 3, 2021 (Riverside Gazette) — The Alden paper mill reopened on Monday.",
        "About 140 workers returned to the floor.",
        "* * *",
        "Council backs new bus depot",
        "BRAMLEY (Valley Courier) — The council approved a depot on Tuesday. It costs $4 million.",
        "------",
        "Storm knocks out power to 3,000 homes",
        "CASTON — Crews worked through the night after a storm on May 2, 2020 downed lines.",
    )
    articles = parse_page(text, "s")
    assert summary(articles) == [
        ("Mill reopens after two-year closure", "2021-03-03", "", "Riverside Gazette"),
        ("Council backs new bus depot", "", "", "Valley Courier"),
        ("Storm knocks out power to 3,000 homes", "2020-05-02", "", "Riverside Gazette"),
    ]
    assert articles[0].paragraphs[0].startswith("ALDEN, March 3, 2021 (Riverside Gazette) — The")
    assert articles[0].paragraphs[-1] == "About 140 workers returned to the floor."


def test_byline_and_published_line_open_a_story() -> None:
    text = page(
        "First headline on the page",
        "By Ada Lowe\nPublished March 20, 2023",
        "The first story says something, and says it in full sentences.",
        "Second headline on the page",
        "By Ben Hart",
        "Posted Jan. 5, 2022",
        "The second story says something else. It has two sentences.",
    )
    assert summary(parse_page(text, "s")) == [
        ("First headline on the page", "2023-03-20", "Ada Lowe", ""),
        ("Second headline on the page", "2022-01-05", "Ben Hart", ""),
    ]


def test_headline_after_hard_separator_without_lead() -> None:
    text = page(
        "First headline on the page", "The first story is one sentence long.",
        "* * *", "Second headline on the page", "The second story is also one sentence long.",
    )  # fmt: skip
    titles = [a.title for a in parse_page(text, "s")]
    assert titles == ["First headline on the page", "Second headline on the page"]


def test_ad_slot_inside_a_story_does_not_split_it() -> None:
    text = page(
        "Only headline on the page", "The story begins here with a sentence.",
        "Advertisement", "A subheading inside the story", "The story goes on after the ad slot.",
    )  # fmt: skip
    [article] = parse_page(text, "s")
    assert article.paragraphs[-1] == "The story goes on after the ad slot."


def test_repeated_headline_and_teaser_list_start_no_story() -> None:
    text = page(
        "Main headline of the story", "Main headline of the story", "By Ada Lowe",
        "The story is told here in one sentence.", "Most Read", "Another story headline",
        "Posted March 3, 2021", "5h ago",
    )  # fmt: skip
    [article] = parse_page(text, "s")
    assert summary([article]) == [("Main headline of the story", "", "Ada Lowe", "")]


def test_masthead_is_the_outlet_of_a_single_outlet_page() -> None:
    text = page(
        "THE MORNING STAR  Menu  Search  Sign in",
        "First headline on the page", "Published May 1, 2022", "First story text is here.",
        "Second headline on the page", "OAKTON — Second story text is here.",
    )  # fmt: skip
    assert [a.outlet for a in parse_page(text, "s")] == ["The Morning Star", "The Morning Star"]


def test_aggregator_name_is_not_an_outlet_but_a_source_line_is() -> None:
    text = page(
        "DailyMix — the best stories from around the web",
        "First headline on the page", "Published May 1, 2022", "First story text is here.",
        "Source: Valley Courier",
        "Second headline on the page", "OAKTON — Second story text is here.",
        "Stories on DailyMix are provided by our partner outlets.",
    )  # fmt: skip
    articles = parse_page(text, "s")
    assert [a.outlet for a in articles] == ["Valley Courier", ""]
    assert articles[1].paragraphs == ["OAKTON — Second story text is here."]


# ---------------------------------------------------------------- pages in shapes our generator never makes

STORY_A = "The council voted 7-2 on Monday to close the harbour road to lorries at night."
STORY_B = "A heatwave pushed temperatures past 40C in the south, the weather service said on Friday."
STORY_C = "Shares in the chipmaker fell 8 percent after it cut its sales forecast for the year."


@pytest.mark.parametrize("separator", ["=====", "###", "• • •", "~~~~~~", "— — —", "+++"])
def test_separator_styles_split_stories(separator: str) -> None:
    text = page(
        "Harbour road to close to lorries at night", STORY_A, separator,
        "Heatwave sends temperatures past 40C", STORY_B, separator,
        "Chipmaker shares slide after forecast cut", STORY_C,
    )  # fmt: skip
    articles = parse_page(text, "s")
    assert [a.title for a in articles] == [
        "Harbour road to close to lorries at night",
        "Heatwave sends temperatures past 40C",
        "Chipmaker shares slide after forecast cut",
    ]
    assert [a.paragraphs for a in articles] == [[STORY_A], [STORY_B], [STORY_C]]


def test_newsletter_digest_with_updated_lines_and_wire_datelines() -> None:
    """A digest: each item a headline over "Updated <time>, <date>" and a wire dateline."""
    text = page(
        "Morning Digest — Tuesday's top stories",
        "Harbour road to close to lorries at night",
        "Updated 5:32 PM EST, Tue March 5, 2024",
        f"LONDON (Reuters) - {STORY_A}",
        "Heatwave sends temperatures past 40C",
        "Updated 6:01 AM EST, Wed March 6, 2024",
        f"MADRID (AP) — {STORY_B}",
    )
    assert summary(parse_page(text, "s")) == [
        ("Harbour road to close to lorries at night", "2024-03-05", "", "Reuters"),
        ("Heatwave sends temperatures past 40C", "2024-03-06", "", "The Associated Press"),
    ]


def test_archive_page_with_date_lines_and_bylines() -> None:
    """An archive listing: headline, byline, date on its own line, text; no separators."""
    text = page(
        "Harbour road to close to lorries at night", "By Mara Quint", "March 5, 2024", STORY_A,
        "Chipmaker shares slide after forecast cut", "By Oren Vale and Ida Pell", "5 March 2024",
        STORY_C,
    )  # fmt: skip
    assert summary(parse_page(text, "s")) == [
        ("Harbour road to close to lorries at night", "2024-03-05", "Mara Quint", ""),
        ("Chipmaker shares slide after forecast cut", "2024-03-05", "Oren Vale and Ida Pell", ""),
    ]


def test_cnn_style_dateline_opens_a_story() -> None:
    text = page(
        "Harbour road to close to lorries at night", f"Rotterdam, Netherlands CNN — {STORY_A}",
        "Heatwave sends temperatures past 40C", f"Seville, Spain CNN — {STORY_B}",
    )  # fmt: skip
    articles = parse_page(text, "s")
    assert [(a.title, a.outlet) for a in articles] == [
        ("Harbour road to close to lorries at night", "CNN"),
        ("Heatwave sends temperatures past 40C", "CNN"),
    ]


def test_subheadings_inside_one_story_do_not_split_it() -> None:
    """Subheadings followed by plain text (no lead, no separator) stay inside the story."""
    text = page(
        "Harbour road to close to lorries at night", "By Mara Quint", STORY_A,
        "What happens next", STORY_B, "Why the council changed its mind", STORY_C,
    )  # fmt: skip
    [article] = parse_page(text, "s")
    assert article.paragraphs == [STORY_A, "What happens next", STORY_B,
                                  "Why the council changed its mind", STORY_C]  # fmt: skip


def test_posted_label_template_without_on_line() -> None:
    """A blog theme that prints "Posted" alone under each headline, its date rendered elsewhere."""
    text = page(
        "Harbour road to close to lorries at night", "Posted", STORY_A,
        "Heatwave sends temperatures past 40C", "Posted", STORY_B,
    )  # fmt: skip
    assert [a.title for a in parse_page(text, "s")] == [
        "Harbour road to close to lorries at night", "Heatwave sends temperatures past 40C",
    ]  # fmt: skip
