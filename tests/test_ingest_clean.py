"""parse_page / parse_file: the sample corpus comes out as clean articles, and each rule holds alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.article import Article
from ingest.captions import is_credit_only, strip_credit
from ingest.chrome import is_widget_label
from ingest.clean import parse_page
from ingest.metadata import parse_byline, parse_date
from ingest.parse import parse_file

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
FOX = "foxnews-us-china-fentanyl-talks-2024-01-30.txt"
CITYNEWS = "citynews-ap-us-china-fentanyl-talks-2024-01-30.txt"
AGGREGATOR = "aggregator-nbc-fentanyl-talks-plus-npr-nyt-ft.txt"
EPOCH = "us-china-restart-talks-fentanyl-crackdown-2024-01-30.txt"
REWRITE = "china-us-talks-tackle-fentanyl-crisis-rewrite.txt"

CHROME = [
    "Advertisement", "Top Stories", "Most Watched", "Continue Reading", "TTC", "Leave a Reply",
    "Your email address", "hide caption", "toggle caption", "Getty Images", "AP Photo",
    "Fox News Flash", "Posted January", "Last Updated", "HAPPENING NOW", "More Videos", "Trending",
    "Submit a Correction", "Accessibility", "new video loaded", "Connect with us", "Free links",
    "Follow Gideon", "m ago",
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[Article]]:
    return {path.name: parse_file(path, path.name) for path in sorted(CORPUS.iterdir())}


def test_article_count_per_file(corpus: dict[str, list[Article]]) -> None:
    counts = {name: len(articles) for name, articles in corpus.items()}
    assert counts == {FOX: 1, CITYNEWS: 1, AGGREGATOR: 4, EPOCH: 1, REWRITE: 1}


def test_articles_are_numbered_per_page(corpus: dict[str, list[Article]]) -> None:
    for name, articles in corpus.items():
        assert [a.index for a in articles] == list(range(len(articles)))
        assert {a.source for a in articles} == {name}


@pytest.mark.parametrize("needle", CHROME)
def test_no_chrome_left_in_paragraphs(corpus: dict[str, list[Article]], needle: str) -> None:
    leaks = [p for arts in corpus.values() for a in arts for p in a.paragraphs if needle in p]
    assert leaks == []


def test_paragraphs_are_normalised(corpus: dict[str, list[Article]]) -> None:
    for article in (a for arts in corpus.values() for a in arts):
        for paragraph in article.paragraphs + article.captions:
            assert paragraph == " ".join(paragraph.split())
            assert not paragraph.startswith("•")
            assert paragraph != article.title


def test_captions_never_in_paragraphs(corpus: dict[str, list[Article]]) -> None:
    for article in (a for arts in corpus.values() for a in arts):
        for caption in article.captions:
            assert all(caption[:60] not in p for p in article.paragraphs)
        assert not any("Deputy Assistant to the President" in p for p in article.paragraphs)


EXPECTED = {
    (CITYNEWS, 0): (
        "US and China launch talks on fentanyl trafficking in a sign of cooperation amid differences",
        "The Associated Press", "2024-01-30", "Ken Moritsugu", 1,
    ),
    (FOX, 0): (
        "American and Chinese officials have committed to working together to stem the…",
        "Fox News", "2024-01-30", "", 1,
    ),
    (EPOCH, 0): ("US, China Restart Talks on Fentanyl Crackdown", "", "2024-01-30", "", 2),
    (REWRITE, 0): ("China & US In Talks To Tackle Fentanyl Crisis", "", "", "", 0),
    (AGGREGATOR, 0): (
        "U.S.-China fentanyl talks get off to a 'productive' start, security advisor says",
        "NBC News", "2024-01-30", "", 1,
    ),
    (AGGREGATOR, 1): (
        "Afghan CIA fighters face stark reality in the U.S. : Consider This from NPR",
        "NPR", "2025-12-01", "", 1,
    ),
    (AGGREGATOR, 2): (
        "Video: Behind the Supreme Court’s Push to Expand Presidential Power",
        "", "2025-12-12",
        "Ann E. Marimow, Claire Hogan, Stephanie Swart and Pierre Kattar", 0,
    ),
    (AGGREGATOR, 3): ("Europe’s rocky relations with Donald Trump", "", "", "", 0),
}  # fmt: skip
# The NYT video and the FT podcast name their outlet nowhere on the page: it used to be read off
# their player and programme strings (SIGNATURES), a rule keyed on these very pages, now gone.


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: f"{k[0][:12]}-{k[1]}")
def test_metadata_read_off_the_page(corpus: dict[str, list[Article]], key: tuple[str, int]) -> None:
    article = corpus[key[0]][key[1]]
    got = (article.title, article.outlet, article.date, article.byline, len(article.captions))
    assert got == EXPECTED[key]


def test_citynews_body_is_the_ap_story_only(corpus: dict[str, list[Article]]) -> None:
    [article] = corpus[CITYNEWS]
    assert article.paragraphs[0].startswith("BEIJING (AP) — American and Chinese officials met")
    assert article.paragraphs[-1].startswith("State Department spokesperson Matthew Miller")
    assert len(article.paragraphs) == 15
    assert article.captions[0].endswith("Counternarcotics Working Group.")  # credit stripped


def test_fox_keeps_bullets_and_story_but_not_comment_form(corpus: dict[str, list[Article]]) -> None:
    [article] = corpus[FOX]
    assert article.paragraphs[0].startswith("American and Chinese officials have committed")
    assert article.paragraphs[-1].startswith("State Department spokesperson")
    assert "Jen Daskal" not in article.paragraphs  # a label over the photo
    assert len(article.paragraphs) == 22


def test_aggregator_stories_do_not_bleed(corpus: dict[str, list[Article]]) -> None:
    nbc, npr, nyt, ft = corpus[AGGREGATOR]
    assert nbc.paragraphs[-1].startswith("“We talked about the need")
    assert not any("Afghan" in p or "Supreme Court" in p for p in nbc.paragraphs)
    assert npr.paragraphs[0].startswith("They survived some of the Afghanistan War")
    assert nyt.paragraphs == [nyt.paragraphs[0]] and "conservative majority" in nyt.paragraphs[0]
    assert not any("fortress belt" in p or "rupture" in p for p in ft.paragraphs)
    assert ft.paragraphs[0].startswith("Gideon talks to Jens Stoltenberg")


def test_epoch_captions_collapse_and_contributor_is_not_outlet(
    corpus: dict[str, list[Article]],
) -> None:
    [article] = corpus[EPOCH]
    assert len(article.captions) == 2  # the repeated photo with two credit styles is one caption
    assert article.outlet == ""
    assert sum(p.startswith("US, China Restart Talks") for p in article.paragraphs) == 0
    assert any("107,081" in p for p in article.paragraphs)


# ---------------------------------------------------------------- rules on synthetic text


def page(*lines: str) -> str:
    return "\n\n".join(lines)


BODY = "Officials met on Tuesday in Beijing to talk about fentanyl, a deadly synthetic drug."


def test_duplicate_consecutive_lines_collapse() -> None:
    [article] = parse_page(
        page("Big Headline Here Today", "Big Headline Here Today", BODY, BODY), "s"
    )
    assert article.title == "Big Headline Here Today"
    assert article.paragraphs == [BODY]


def test_teaser_block_is_dropped_with_its_items() -> None:
    text = page(
        "Main Headline Of The Story", BODY, "Top Stories",
        "Bus crash closes road", "Bus crash closes road", "A bus crashed downtown and the road is shut...",
        "4m ago", "Most Watched Today", "2:50", "Zoo prepares for bear escape",
        "A zoo is taking steps. Reporter reports.", "12h ago",
    )  # fmt: skip
    [article] = parse_page(text, "s")
    assert article.paragraphs == [BODY]


def test_short_labels_dropped_but_short_sentences_kept() -> None:
    [article] = parse_page(
        page("Main Headline Of The Story", BODY, "Jen Daskal", "He resigned."), "s"
    )
    assert article.paragraphs == [BODY, "He resigned."]


def test_bullets_and_whitespace_normalised() -> None:
    text = (
        "Main Headline Of The Story\n\n  •   First   point\u00a0here is a sentence.\n• Second one."
    )
    [article] = parse_page(text, "s")
    assert article.paragraphs == ["First point here is a sentence.", "Second one."]


def test_hard_wrapped_paragraph_is_rejoined() -> None:
    text = "Main Headline Of The Story\n\nOfficials met on Tuesday\nin Beijing to talk.\nThen left."
    [article] = parse_page(text, "s")
    assert article.paragraphs == ["Officials met on Tuesday in Beijing to talk.", "Then left."]


def test_caption_with_credit_only_line_after_it() -> None:
    caption = "A memorial stands outside the station on December 01, 2025 in Washington."
    text = page("Main Headline Of The Story", caption, "Heather Diehl/Getty Images", "hide caption",
                "Heather Diehl/Getty Images", BODY)  # fmt: skip
    [article] = parse_page(text, "s")
    assert article.captions == [caption]
    assert article.paragraphs == [BODY]
    assert article.date == "2025-12-01"


def test_story_split_on_published_on_template() -> None:
    text = page(
        "Connect with us", "News", "First Story Headline", "Published", "on", "First Story Headline",
        BODY, "News", "Second Story Headline", "Published", "on", "Second Story Headline",
        "Another story begins here, and it says something else entirely.",
    )  # fmt: skip
    first, second = parse_page(text, "s")
    assert (first.index, first.title, first.paragraphs) == (0, "First Story Headline", [BODY])
    assert (second.index, second.title) == (1, "Second Story Headline")
    assert second.paragraphs[0].startswith("Another story begins")


def test_header_date_line_and_signoff() -> None:
    text = page("date 2024-01-30 The Headline Of This Story", "By Jane Roe, Reuters",
                BODY, "Jane Roe, Reuters")  # fmt: skip
    [article] = parse_page(text, "s")
    assert (article.title, article.date, article.byline, article.outlet) == (
        "The Headline Of This Story", "2024-01-30", "Jane Roe", "Reuters",
    )  # fmt: skip
    assert article.paragraphs == [BODY]


def test_front_matter_header() -> None:
    text = "---\ntitle: From Front Matter\ndate: 2023-05-04\nauthor: A. Writer\n---\n\n" + BODY
    [article] = parse_page(text, "s")
    assert (article.title, article.date, article.byline) == (
        "From Front Matter", "2023-05-04", "A. Writer",
    )  # fmt: skip


def test_contributed_to_this_report_is_not_the_outlet() -> None:
    text = page(
        "Main Headline Of The Story", BODY, "The Associated Press contributed to this report."
    )
    assert parse_page(text, "s")[0].outlet == ""


def test_wire_dateline_gives_outlet() -> None:
    text = page(
        "Main Headline Of The Story", "WASHINGTON (Reuters) - Officials said on Monday it rained."
    )
    assert parse_page(text, "s")[0].outlet == "Reuters"


def test_html_meta_wins_for_the_first_story() -> None:
    meta = {"title": "Meta Title", "outlet": "Example News", "date": "2020-02-02", "byline": "X Y"}
    [article] = parse_page(page("Meta Title", BODY, "Posted January 30, 2024"), "s", meta)
    assert (article.title, article.outlet, article.date, article.byline) == (
        "Meta Title", "Example News", "2020-02-02", "X Y",
    )  # fmt: skip


def test_page_of_only_chrome_gives_no_articles() -> None:
    assert parse_page(page("Advertisement", "Trending", "Leave a Reply"), "s") == []


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Posted January 30, 2024 6:36 am.", "2024-01-30"),
        ("in Beijing, Tuesday, Jan. 30, 2024.", "2024-01-30"),
        ("on 30 January 2024 in Beijing", "2024-01-30"),
        ("Sept. 5, 2023", "2023-09-05"),
        ("2024-01-30", "2024-01-30"),
        ("Feb. 30, 2024 then March 1, 2024", "2024-03-01"),  # impossible dates are skipped
        ("in November 2023", ""),
        ("top headlines for January 30", ""),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By Ken Moritsugu, The Associated Press", ("Ken Moritsugu", "The Associated Press")),
        ("By A. Writer, B. Writer and C. Writer", ("A. Writer, B. Writer and C. Writer", "")),
        ("By Jane Roe | NBC News", ("Jane Roe", "NBC News")),
        ("By the end of the year, prices rose.", None),
        ("Bystanders watched.", None),
    ],
)
def test_parse_byline(line: str, expected: tuple[str, str] | None) -> None:
    assert parse_byline(line) == expected


@pytest.mark.parametrize(
    ("line", "is_credit"),
    [
        ("Ng Han Guan | Afp | Getty Images", True),
        ("Heather Diehl/Getty Images", True),
        ("Photo: Jane Roe", True),
        ("AFP reported that talks went well.", False),
        ("Getty Images", True),
        ("The Getty Museum opened", False),
    ],
)
def test_credit_only_lines(line: str, is_credit: bool) -> None:
    assert is_credit_only(line) is is_credit


def test_strip_credit_variants_agree() -> None:
    base = "Two officials attend a meeting in Beijing on Jan. 30, 2024."
    assert strip_credit(f"{base} (Ng Han Guan/Pool/AFP via Getty Images)") == base
    assert strip_credit(f"{base} Ng Han Guan/Pool/AFP via Getty Images") == base
    assert (
        strip_credit(
            f"{base}(AP Photo/Ng Han Guan, Pool) Copyright 2024 The AP. All rights reserved"
        )
        == base
    )
    assert strip_credit("Copyright law was the topic of the hearing.") == (
        "Copyright law was the topic of the hearing."
    )


def test_a_copyright_notice_before_the_story_is_dropped_not_the_story() -> None:
    """A scrape that prints the owner's notice on the lead's line: the notice goes, the lead stays."""
    lead = ("HARBOR CITY – Ferry crews walked out on Monday over pay, stranding about 4,000 passengers, "
            "the union said, and talks are due to resume on Thursday.")
    articles = parse_page(f"Ferry crews walk out\n\n© Copyright 2024, Harbor City Ledger Co. {lead}\n", "f.txt")
    assert [a.paragraphs for a in articles] == [[lead]]
    assert strip_credit(f"{lead} © 2024 Harbor City Ledger") == lead


def test_comment_link_above_the_story_does_not_end_it() -> None:
    text = page(
        "Comments", "Main Headline Of The Story", BODY, "Leave a Reply", "Great piece, thanks!"
    )
    [article] = parse_page(text, "s")
    assert (article.title, article.paragraphs) == ("Main Headline Of The Story", [BODY])


def test_dates_in_teaser_lists_are_not_the_story_date() -> None:
    text = page("Main Headline Of The Story", BODY, "Most Read", "Other Story Headline",
                "Posted March 3, 2021", "5h ago")  # fmt: skip
    assert parse_page(text, "s")[0].date == ""


def test_lines_shared_by_many_files_of_a_folder_are_boilerplate(tmp_path: Path) -> None:
    """A promo line on every page of a folder goes; a wire paragraph two outlets carried stays."""
    promo = "Prep for the big day: see who is running and where they stand in our voter guide"
    wire = "The council voted 7-2 on Monday to close the harbour road to lorries at night."
    for n in range(8):
        shared = [wire] if n < 2 else []
        text = page(f"Story number {n} headline here", f"Story {n} has its own first sentence.",
                    *shared, promo, f"Story {n} ends with its own last sentence.")  # fmt: skip
        (tmp_path / f"story-{n}.txt").write_text(text, encoding="utf-8")
    first = parse_file(tmp_path / "story-0.txt", "story-0.txt")[0]
    assert first.paragraphs == [
        "Story 0 has its own first sentence.", wire, "Story 0 ends with its own last sentence.",
    ]  # fmt: skip
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "story.txt").write_text(page("Story headline here", promo), "utf-8")
    assert parse_file(tmp_path / "alone" / "story.txt", "story.txt")[0].paragraphs == [promo]


def test_widget_text_run_on_from_its_buttons_goes_with_its_echo() -> None:
    """A player's "play <title> Video" (it opens lowercase) and its title printed again under it."""
    text = page("play Harbour Morning Briefing for May 3 Video", "Harbour Morning Briefing for May 3",
                "Main Headline Of The Story", BODY)  # fmt: skip
    [article] = parse_page(text, "s")
    assert (article.title, article.paragraphs) == ("Main Headline Of The Story", [BODY])


@pytest.mark.parametrize(
    ("line", "is_widget"),
    [
        ("hide caption", True),
        ("Submit a Correction", True),
        ("View our accessibility guide.", True),
        ("Jump to navigation", True),
        ("iPhone sales rise again", False),
        ("Watch: Port strike ends after two weeks", False),
        ("Read the full statement from the council on its website.", False),
        ("status for Paris unknown as of July 1 because it has no Olympic standard", False),
    ],
)
def test_widget_labels_by_shape(line: str, is_widget: bool) -> None:
    assert is_widget_label(line) is is_widget


def test_short_title_case_heading_over_a_timestamped_item_opens_a_teaser_list() -> None:
    text = page("Main Headline Of The Story", BODY, "Most Shared This Week", "2:50", "Zoo prepares for bear escape",
                "A zoo is taking steps. Reporter reports.", "12h ago")  # fmt: skip
    assert parse_page(text, "s")[0].paragraphs == [BODY]


def test_a_lead_in_offering_links_opens_a_teaser_list() -> None:
    text = page("Main Headline Of The Story", BODY, "Further reading on this topic:", "Ferry fares to rise in June",
                "Storm closes the coast road for a day", "Council backs new bus depot")  # fmt: skip
    assert parse_page(text, "s")[0].paragraphs == [BODY]


def test_runs_of_short_lines_go_but_a_few_stay() -> None:
    """Six or more short lines without a full stop are a menu or a box of links; five are not."""
    links = ["Ferry timetable", "Road closures", "Parking permits", "Bin days", "Libraries near you",
             "Jobs in town"]  # fmt: skip
    [article] = parse_page(page("Main Headline Of The Story", BODY, *links, BODY.replace("Tuesday", "Friday")), "s")
    assert article.paragraphs == [BODY, BODY.replace("Tuesday", "Friday")]
    [article] = parse_page(page("Main Headline Of The Story", BODY, *links[:5]), "s")
    assert article.paragraphs == [BODY, *links[:5]]


def test_a_lead_in_without_a_sentence_is_neither_a_story_nor_a_masthead() -> None:
    text = page("Stay in touch with us", "News", "First Story Headline", "Published", "on", BODY, "News",
                "Second Story Headline", "Published", "on", "Another story begins, and says so here.")  # fmt: skip
    articles = parse_page(text, "s")
    assert [(a.title, a.outlet) for a in articles] == [("First Story Headline", ""), ("Second Story Headline", "")]


def test_a_comment_count_above_the_story_does_not_end_it() -> None:
    text = page("Main Headline Of The Story", "3 comments", BODY, "Leave a Reply", "Great piece, thanks!")
    assert parse_page(text, "s")[0].paragraphs == [BODY]
