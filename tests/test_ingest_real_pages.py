"""Chrome removal and publisher detection on pages nobody here wrote, and on small pages written in
the shape of real ones (not of our generator's templates).

Two public data sets are read where a local copy exists and skipped otherwise (neither is
committed): RealTime QA's 2024 search results (/work/rtqa: plain article text with its URL) and
scrapinghub's article-extraction-benchmark (/work/aebench: HTML pages with their true article
bodies; `eval/cleaning_bench.py` measures the whole set).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ingest.captions import strip_credit
from ingest.clean import normalise_lines, parse_page
from ingest.metadata import outlet_from_url
from ingest.readers import read_page

RTQA = Path("/work/rtqa/past/2024")
AEBENCH = Path("/work/aebench")
SAMPLE = 300  # articles drawn, seeded, from the 2024 search results


def rtqa_articles() -> list[dict[str, str]]:
    """A seeded sample of distinct (url, text) articles from the 2024 `*_gcs.jsonl` files."""
    seen: dict[str, dict[str, str]] = {}
    for path in sorted(RTQA.glob("*_gcs.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            for result in json.loads(line).get("search_result") or []:
                if result.get("text") and result.get("url"):
                    seen.setdefault(result["url"], result)
    urls = sorted(seen)
    return [seen[u] for u in random.Random(0).sample(urls, min(SAMPLE, len(urls)))]


needs_rtqa = pytest.mark.skipif(not RTQA.is_dir(), reason="no local RealTime QA copy at /work/rtqa")


@pytest.fixture(scope="module")
def rtqa() -> list[dict[str, str]]:
    return rtqa_articles()


@needs_rtqa
def test_real_article_text_survives_cleaning(rtqa: list[dict[str, str]]) -> None:
    """Every paragraph of 12+ words is article text in these files (photo captions included, kept
    apart and without their credit): at least 99.5% must be kept, in the body or the captions."""
    kept = total = 0
    for item in rtqa:
        articles = parse_page(item["text"], "s")
        text = {p for a in articles for p in a.paragraphs + a.captions}
        wanted = [p for p in normalise_lines(item["text"]) if len(p.split()) >= 12]
        total += len(wanted)
        kept += sum(p in text or strip_credit(p) in text for p in wanted)
    assert total > 3000
    assert kept / total >= 0.995


@needs_rtqa
def test_one_real_article_is_one_story(rtqa: list[dict[str, str]]) -> None:
    """Each search result is one article (live blogs aside): at most 3% may be cut into several."""
    split = [item["url"] for item in rtqa if len(parse_page(item["text"], "s")) > 1]
    assert len(split) / len(rtqa) <= 0.03, split[:10]


@needs_rtqa
def test_publisher_from_a_source_url_line(rtqa: list[dict[str, str]]) -> None:
    """A "Source: <url>" line names the outlet by the URL's domain, for every article that does not
    credit one itself (a wire dateline "MIAMI (AP) —" on a USA Today page keeps the wire)."""
    for item in rtqa:
        own = parse_page(item["text"], "s")
        credited = own[0].outlet if own else ""
        articles = parse_page(f"Source: {item['url']}\n\n{item['text']}", "s")
        assert articles[0].outlet in {outlet_from_url(item["url"]), credited}, item["url"]
        assert articles[0].paragraphs == own[0].paragraphs  # the line itself is not body text


@needs_rtqa
def test_publisher_read_off_the_text_alone_is_not_wrong(rtqa: list[dict[str, str]]) -> None:
    """Without the URL, a well-known outlet read off the text (dateline, byline, chrome) is the
    URL's outlet or a wire service the story credits, in at least 90% of the articles named (a
    single "told the Los Angeles Times" is a quote, not a credit: it names no outlet)."""
    wires = {"The Associated Press", "Reuters", "AFP"}
    named = agree = 0
    for item in rtqa:
        articles = parse_page(item["text"], "s")
        outlet = articles[0].outlet if articles else ""
        if outlet:
            named += 1
            agree += outlet == outlet_from_url(item["url"]) or outlet in wires
    assert named >= 15
    assert agree / named >= 0.9


@pytest.mark.skipif(not (AEBENCH / "ground-truth.json").exists(), reason="no benchmark copy")
def test_cleaning_keeps_trafilatura_quality_on_real_html() -> None:
    """On 40 real pages our cleaning must not cost F1 against trafilatura's text alone."""
    from eval.cleaning_bench import load_pages, run

    table = run(load_pages(AEBENCH, 40, seed=1))
    ours, alone = table["ours"], table["trafilatura (ingest)"]
    assert ours["f1"] >= alone["f1"] - 0.005
    assert ours["precision"] >= alone["precision"]


# ---------------------------------------------------------------- pages in the shape of real ones


BODY = (
    "Dock workers returned to work on Tuesday after a two-week strike that left dozens of "
    "ships waiting offshore, the union said."
)
MORE = "The agreement raises wages by 12 percent over three years, the port authority said."


def page(*blocks: str) -> str:
    return "\n\n".join(blocks)


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.nytimes.com/2024/03/05/world/strike.html", "The New York Times"),
        ("https://apnews.com/article/strike-ports-1234", "The Associated Press"),
        ("https://www.wsj.com/articles/ports-5678", "The Wall Street Journal"),
        ("https://edition.cnn.com/2024/03/05/world/index.html", "CNN"),
        ("https://www.ft.com/content/abcd", "Financial Times"),
        ("https://www.latimes.com/world/story/2024-03-05/strike", "Los Angeles Times"),
        ("https://abcnews.go.com/International/strike", "ABC News"),
        ("https://www.bbc.co.uk/news/world-123", "BBC"),
        ("https://www.example-gazette.org/local/strike", "example-gazette.org"),
    ],
)
def test_outlet_from_url(url: str, outlet: str) -> None:
    assert outlet_from_url(url) == outlet


def test_source_url_line_names_the_outlet_and_leaves_the_body() -> None:
    text = page("Port strike ends after two weeks", BODY, MORE,
                "Source: https://www.reuters.com/world/port-strike-ends-2024-03-05/")  # fmt: skip
    [article] = parse_page(text, "s")
    assert article.outlet == "Reuters"
    assert article.paragraphs == [BODY, MORE]


def test_a_link_inside_the_story_is_not_its_publisher() -> None:
    text = page("Port strike ends after two weeks", BODY, "Details: www.example-port.org", MORE)
    assert parse_page(text, "s")[0].outlet == ""


def test_copyright_line_in_the_chrome_names_the_outlet() -> None:
    text = page("Port strike ends after two weeks", BODY, MORE, "© 2024 Reuters. All rights reserved.")
    [article] = parse_page(text, "s")
    assert (article.outlet, article.paragraphs) == ("Reuters", [BODY, MORE])


def test_contributor_credit_is_not_the_outlet() -> None:
    text = page("Port strike ends after two weeks", BODY, "Reuters contributed to this report.")
    assert parse_page(text, "s")[0].outlet == ""


def test_cnn_style_dateline_names_the_outlet() -> None:
    text = page("Port strike ends after two weeks", f"Rotterdam, Netherlands CNN — {BODY}", MORE)
    assert parse_page(text, "s")[0].outlet == "CNN"


def test_a_date_in_dateline_brackets_is_a_date_not_an_outlet() -> None:
    text = page("Port strike ends after two weeks", f"KNOXVILLE, Tenn. (June 21, 2022) – {BODY}")
    [article] = parse_page(text, "s")
    assert (article.outlet, article.date) == ("", "2022-06-21")


def test_video_player_widget_is_dropped_and_names_the_site() -> None:
    """A player above the story: its close button, its title and a cut-off teaser blurb."""
    text = page(
        "close Daily Briefing from Reuters for March 5 Video",
        "Daily Briefing from Reuters for March 5",
        "Daily Briefing from Reuters is here. Catch up on what's moving markets and",
        "Port strike ends after two weeks",
        "By Jane Roe",
        BODY,
        MORE,
    )
    [article] = parse_page(text, "s")
    assert (article.title, article.byline, article.outlet) == (
        "Port strike ends after two weeks", "Jane Roe", "Reuters",
    )  # fmt: skip
    assert article.paragraphs == [BODY, MORE]


def test_headline_printed_again_under_a_player_label_is_dropped() -> None:
    text = page("Watch: Port strike ends after two weeks", "Now playing: Port strike ends after two weeks",
                BODY)  # fmt: skip
    [article] = parse_page(text, "s")
    assert article.paragraphs == [BODY]


def test_highlights_between_headline_and_dateline_stay_one_story() -> None:
    """A deck of highlights (no full stops) over the dateline is not a new story's headline."""
    text = page(
        "Port strike ends after two weeks",
        "Jane Roe",
        "USA TODAY",
        "Workers win a 12 percent raise over three years",
        "Automation at the terminals is limited",
        "Dozens of ships are still waiting offshore",
        f"ROTTERDAM (AP) — {BODY}",
        MORE,
    )
    [article] = parse_page(text, "s")
    assert article.title == "Port strike ends after two weeks"
    assert article.paragraphs[-2:] == [f"ROTTERDAM (AP) — {BODY}", MORE]


def test_real_shaped_html_reads_meta_tags_and_drops_chrome(tmp_path: Path) -> None:
    """og:site_name, article:published_time and author meta tags; nav, share bar, related list and
    footer dropped; the figure caption kept apart from the body."""
    html = f"""<!doctype html><html><head><title>Port strike ends | The Harbour Times</title>
<meta property="og:site_name" content="The Harbour Times">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<meta name="author" content="Jane Roe"></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav></header>
<article><h1>Port strike ends after two weeks</h1>
<figure><img src="a.jpg"><figcaption>Ships wait outside the port on Monday.</figcaption></figure>
<p>{BODY}</p><p>{MORE}</p><p>Share this article</p></article>
<aside><h2>Related</h2><ul><li><a href="/a">Ferry fares to rise</a></li></ul></aside>
<footer>© 2024 The Harbour Times. All rights reserved.</footer></body></html>"""
    path = tmp_path / "strike.html"
    path.write_text(html, encoding="utf-8")
    loaded = read_page(path)
    [article] = parse_page(loaded.text, "strike.html", loaded.meta)
    assert (article.outlet, article.date, article.byline) == ("The Harbour Times", "2024-03-05", "Jane Roe")
    assert article.paragraphs == [BODY, MORE]
    assert article.captions == ["Ships wait outside the port on Monday."]


def test_html_without_site_name_takes_the_outlet_from_its_canonical_url(tmp_path: Path) -> None:
    html = f"""<!doctype html><html><head><title>Port strike ends after two weeks</title>
<link rel="canonical" href="https://www.reuters.com/world/port-strike-ends-2024-03-05/"></head>
<body><article><h1>Port strike ends after two weeks</h1><p>{BODY}</p><p>{MORE}</p></article></body></html>"""
    path = tmp_path / "strike.html"
    path.write_text(html, encoding="utf-8")
    loaded = read_page(path)
    assert parse_page(loaded.text, "s", loaded.meta)[0].outlet == "Reuters"
