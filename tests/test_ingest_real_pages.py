"""Cleaning on whole web pages nobody here wrote, shipped under free licences in
tests/fixtures/real_pages (sources and licences in its README), and on small pages written in the
shape of real ones (not of our generator's templates).

Each real page is read two ways: as HTML (trafilatura's text, then our cleaning) and as a browser's
"save as text" of the whole page, menus, sidebars and footers included, which only our line rules
clean. Both are scored against the article text the page's test suite checked by hand.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import html as lxml_html

from eval.cleaning_bench import Score, score
from ingest.clean import normalise_lines, parse_page
from ingest.metadata import outlet_from_url
from ingest.parse import parse_file
from ingest.readers import read_page

REAL_PAGES = Path(__file__).resolve().parent / "fixtures" / "real_pages"
# The pages with hand-checked article text, and the headline each page prints over its article.
CHECKED = {
    "wikipedia": "Mozilla",
    "wikipedia-3": "Hermitian matrix",
    "002": "This API is so Fetching!",
    "v8-blog": "Outside the web: standalone WebAssembly binaries using Emscripten",
    "ebb-org": "On Recent Controversial Events",
}
ONE_SITE = ["wikipedia", "wikipedia-2", "wikipedia-3", "wikipedia-4", "wikipedia-tsne"]
_BLOCKS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "br", "section",
    "article", "header", "footer", "nav", "aside", "figcaption", "figure", "dt", "dd", "pre",
    "blockquote", "table", "ul", "ol", "form", "title", "main", "caption", "label", "button",
}  # fmt: skip


def fixture_html(name: str) -> str:
    return gzip.decompress((REAL_PAGES / name).read_bytes()).decode("utf-8")


def saved_text(markup: str) -> str:
    """The page as a browser saves it as text: every visible block on lines of its own."""
    tree = lxml_html.document_fromstring(markup)
    for hidden in tree.xpath("//script|//style|//noscript|//template|//svg|//head/*[not(self::title)]"):
        hidden.drop_tree()
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    return tree.text_content()


def truth(name: str) -> str:
    return "\n".join(normalise_lines(saved_text(fixture_html(f"{name}.expected.html.gz"))))


def body_text(articles: list) -> str:
    return "\n".join(p for article in articles for p in article.paragraphs)


def read_as_text(name: str) -> list:
    return parse_page(saved_text(fixture_html(f"{name}.html.gz")), name)


def read_as_html(name: str, folder: Path) -> list:
    path = folder / f"{name}.html"
    path.write_text(fixture_html(f"{name}.html.gz"), encoding="utf-8")
    return parse_file(path, path.name)


@pytest.fixture(scope="module")
def text_scores() -> dict[str, Score]:
    return {name: score(truth(name), body_text(read_as_text(name))) for name in CHECKED}


@pytest.mark.parametrize("name", CHECKED)
def test_saved_text_keeps_the_article(text_scores: dict[str, Score], name: str) -> None:
    """From a whole page saved as text, at least 93% of the article's words stay in the body."""
    assert text_scores[name].recall >= 0.93


@pytest.mark.parametrize("name", CHECKED)
def test_saved_text_loses_most_of_the_site_chrome(text_scores: dict[str, Score], name: str) -> None:
    """What our cleaning keeps of a saved page is more the article than the page itself was."""
    raw = score(truth(name), "\n".join(normalise_lines(saved_text(fixture_html(f"{name}.html.gz")))))
    assert text_scores[name].precision > raw.precision


def test_saved_text_is_mostly_article(text_scores: dict[str, Score]) -> None:
    """Averaged over the pages, at least 90% of the words kept are the article's own."""
    assert sum(s.precision for s in text_scores.values()) / len(text_scores) >= 0.90


@pytest.mark.parametrize("name", CHECKED)
def test_saved_text_is_one_story_under_its_headline(name: str) -> None:
    [article] = read_as_text(name)
    assert CHECKED[name] in article.title


@pytest.mark.parametrize("name", CHECKED)
def test_html_page_gives_its_article_and_headline(tmp_path: Path, name: str) -> None:
    """Through trafilatura and our cleaning: one article, its headline, 93% of its words, and
    at least 95% of what is kept is the article's."""
    [article] = read_as_html(name, tmp_path)
    found = score(truth(name), body_text([article]))
    assert (article.title, found.recall >= 0.93, found.precision >= 0.95) == (CHECKED[name], True, True)


def test_lines_a_site_repeats_on_its_pages_are_dropped(tmp_path: Path) -> None:
    """Five pages of one site saved in one folder: the line all of them carry ("From Wikipedia, the
    free encyclopedia") leaves every story, though alone on a page nothing marks it as chrome."""
    for name in ONE_SITE:
        (tmp_path / f"{name}.txt").write_text(saved_text(fixture_html(f"{name}.html.gz")), encoding="utf-8")
    repeated = "From Wikipedia, the free encyclopedia"
    alone = body_text(read_as_text("wikipedia"))
    in_folder = {name: body_text(parse_file(tmp_path / f"{name}.txt", name)) for name in ONE_SITE}
    assert repeated in alone
    assert [name for name, text in in_folder.items() if repeated in text] == []
    assert all(len(text.split()) > 1000 for text in in_folder.values())


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
