"""Headline, outlet and publish date from the header shapes saved pages have (`ingest.header` and
the date and outlet rules of `ingest.metadata`): on fixture pages in each shape, and rule by rule.
eval/metadata_bench.py measures the same on RealTime QA's real articles."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.clean import parse_page
from ingest.header import split_fields, split_front_matter, split_site_suffix
from ingest.metadata import (
    is_date_line,
    labelled_date,
    outlet_from_url,
    self_credited_outlet,
    url_date,
)
from ingest.parse import parse_file

PAGES = Path(__file__).resolve().parent / "fixtures" / "metadata_pages"
EXPECTED: dict[str, dict[str, str]] = json.loads((PAGES / "expected.json").read_text("utf-8"))
BODY = "The council voted 7-2 on Monday to close the harbour road to lorries at night, its chair said."


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_page_metadata(name: str) -> None:
    """Each page in a header shape (folder = shape) gives its headline, outlet and date."""
    first = parse_file(PAGES / name, Path(name).name)[0]
    assert {"title": first.title, "outlet": first.outlet, "date": first.date} == EXPECTED[name]


@pytest.mark.parametrize(
    ("title", "url", "expected"),
    [
        ("Port strike ends | Reuters", "", ("Port strike ends", "Reuters")),
        ("Coke's latest flavor is here | CNN Business", "", ("Coke's latest flavor is here", "CNN")),
        ("Pros and cons of VAR | The Week UK", "", ("Pros and cons of VAR", "The Week")),
        ("Fares to rise - The Harbour Times", "", ("Fares to rise", "The Harbour Times")),
        ("Fares to rise - USA TODAY", "", ("Fares to rise", "USA Today")),
        ("GONE - USA TODAY", "", ("GONE", "USA Today")),
        ("Fares to rise - Harbourside", "https://harbourside.example/news/1", ("Fares to rise", "Harbourside")),
        ("Story | World news | The Guardian", "", ("Story", "The Guardian")),
        ("Ukraine - Russia Talks Resume", "", ("Ukraine - Russia Talks Resume", "")),
        ("Kaine seeks reelection - recap", "", ("Kaine seeks reelection - recap", "")),
        ("No tsunami warning issued | Fact check", "", ("No tsunami warning issued | Fact check", "")),
        ("'Taylor Swift | The Eras Tour': what to know", "", ("'Taylor Swift | The Eras Tour': what to know", "")),
    ],
)
def test_site_suffix(title: str, url: str, expected: tuple[str, str]) -> None:
    """After " | " a name-shaped suffix is the site; after a dash only one that is evidently a
    site (a newspaper word, a well-known outlet, the URL's host); lowercase words are no name."""
    assert split_site_suffix(title, url) == expected


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("Source: https://x.example/a | Published: 2022-11-03",
         ["Source: https://x.example/a", "Published: 2022-11-03"]),
        ("By Jane Roe | Nov. 3, 2022", ["By Jane Roe", "Nov. 3, 2022"]),
        ("Published 9:15 AM ET Nov. 3, 2022 | Updated Nov. 4, 2022",
         ["Published 9:15 AM ET Nov. 3, 2022", "Updated Nov. 4, 2022"]),
        ("Local | Sports | Weather", ["Local | Sports | Weather"]),
        ("Tom Cruise | Actor", ["Tom Cruise | Actor"]),
    ],
)
def test_fields_on_one_line_are_cut_apart(line: str, fields: list[str]) -> None:
    assert split_fields(["Headline", line]) == ["Headline", *fields]


def test_a_labelled_date_before_the_headline_is_cut_off_it() -> None:
    assert split_fields(["date 2024-01-30 The Headline Of This Story"]) == [
        "The Headline Of This Story", "date 2024-01-30",
    ]  # fmt: skip


def test_a_labelled_date_with_a_time_stays_one_line() -> None:
    assert split_fields(["Posted January 30, 2024 6:36 am."]) == ["Posted January 30, 2024 6:36 am."]


def test_a_source_line_is_never_the_headline() -> None:
    """The shape that titled 12% of a user's folder with its "Source:" line."""
    source = "Source: https://www.cnn.com/2022/11/03/politics/x | Published: 2022-11-03"
    text = f"Port strike ends | CNN Politics\n{source}\n\n{BODY}"
    [article] = parse_page(text, "s")
    assert (article.title, article.outlet, article.date, article.paragraphs) == (
        "Port strike ends", "CNN", "2022-11-03", [BODY],
    )  # fmt: skip


def test_a_title_with_sentence_punctuation_over_a_labelled_line_is_the_title() -> None:
    text = f"Fares rise. Here's why.\nPublished: 2022-11-03\n\n{BODY}"
    assert parse_page(text, "s")[0].title == "Fares rise. Here's why."


def test_no_story_starts_between_the_title_and_its_first_sentence() -> None:
    """Names and an affiliation over a dateline, under the page's title, are no new story."""
    text = "\n\n".join(["Harbour road closes to lorries | Valley Courier", "Mara Quint", "USA TODAY NETWORK - Ohio",
                        f"ALDEN — {BODY}"])  # fmt: skip
    [article] = parse_page(text, "s")
    assert (article.title, article.paragraphs[-1]) == ("Harbour road closes to lorries", f"ALDEN — {BODY}")


def test_front_matter_keeps_quotes_inside_the_title() -> None:
    meta, _ = split_front_matter("---\ntitle: \"'Wednesday' dance takes off\"\nurl: https://a.example/x\n---\nText.")
    assert meta == {"title": "'Wednesday' dance takes off", "url": "https://a.example/x"}


def test_a_front_matter_source_address_is_the_url_not_the_outlet() -> None:
    text = f"---\ntitle: Fares rise\nsource: https://www.reuters.com/world/fares-2024-03-05/\n---\n{BODY}"
    [article] = parse_page(text, "s")
    assert (article.outlet, article.date) == ("Reuters", "2024-03-05")


def test_labelled_publish_date_beats_the_updated_one_above_it() -> None:
    assert labelled_date(["Updated: Nov. 4, 2022", "Published: Nov. 3, 2022"]) == "2022-11-03"


def test_url_date_beats_an_updated_line() -> None:
    assert labelled_date(["Updated: Nov. 9, 2022"], "https://a.example/2022/11/03/story/") == "2022-11-03"


def test_a_date_in_the_future_is_no_publish_date() -> None:
    future = (date.today() + timedelta(days=400)).strftime("%B %d, %Y")
    text = f"Warning extended\n\nBy Ana Ruiz\n\nThe warning runs to {future}.\n\nIt was issued on March 3, 2021."
    assert parse_page(text, "s")[0].date == "2021-03-03"


@pytest.mark.parametrize(
    ("line", "is_date"),
    [
        ("Thursday, March 30, 2023", True),
        ("5:56 p.m. ET April 18, 2019", True),
        ("10:32 AM EST, Sun November 27, 2022", True),
        ("Tuesday it rained on March 3, 2023", False),
    ],
)
def test_date_lines_with_weekday_or_time(line: str, is_date: bool) -> None:
    assert is_date_line(line) is is_date


@pytest.mark.parametrize(
    ("url", "iso"),
    [
        ("https://www.cnn.com/2022/11/27/asia/taiwan/index.html", "2022-11-27"),
        ("https://www.reuters.com/world/port-strike-ends-2024-03-05/", "2024-03-05"),
        ("https://www.theweek.co.uk/news/123456/pros-and-cons", ""),
    ],
)
def test_url_date(url: str, iso: str) -> None:
    assert url_date(url) == iso


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.theweek.co.uk/news/1", "theweek.co.uk"),
        ("https://news.example.com.au/a", "example.com.au"),
        ("https://m.example.org/a", "example.org"),
        ("https://abcnews.go.com/International/strike", "ABC News"),
    ],
)
def test_outlet_from_url_knows_public_suffixes(url: str, outlet: str) -> None:
    """The registrable domain, whatever the public suffix (".co.uk", ".com.au"), never a mobile
    or section subdomain; a well-known outlet also by a subdomain that spells it."""
    assert outlet_from_url(url) == outlet


def test_a_story_crediting_its_own_staff_and_addresses_names_its_outlet() -> None:
    lines = ["NPR’s Brian Mann spoke to people involved.", "Sign up at plus.npr.org. Email considerthis@npr.org."]
    assert self_credited_outlet(lines) == "NPR"


def test_one_mention_of_another_outlet_names_none() -> None:
    assert self_credited_outlet(["She told NBC News’ Janis Mackey Frayer that talks went well."]) == ""
