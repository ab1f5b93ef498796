"""Feeds, dumps, PDF and Word files in, through the real pipeline into a real index.

The fixtures (tests/fixtures/formats, invented stories) are in the shapes publishers and data
sets use: a WordPress RSS 2.0 feed with `content:encoded` and `dc:creator`, an Atom 1.0 feed,
news-please and CC-News JSON Lines, Kaggle's "All the News" CSV (both versions), LibreOffice's
PDF and Word exports (one a two-column e-paper page). `make_fixtures.sh` says how they were made.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.dumps import DumpFields
from ingest.pipeline import IngestReport, ingest_path
from ingest.sources import ReadOptions
from rag.core.settings import Settings
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from tests.index_checks import FORMATS, index_problems, manifest_articles

BRIDGE_URL = "url:merrincourier.example/2024/03/05/council-votes-to-rebuild-old-mill-bridge"


def _folder(tmp_path: Path, *names: str, into: str = "news") -> Path:
    folder = tmp_path / into
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copyfile(FORMATS / name, folder / name)
    return folder


def _ingest(folder: Path, settings: Settings, embedder, **options) -> IngestReport:
    return ingest_path(folder, settings, embedder=embedder, progress=False, options=ReadOptions(**options))


def _texts(settings: Settings, source: str) -> list[str]:
    return [c.text for c in ChunkStore(settings).all_chunks({"source": source})]


def test_every_kind_goes_in_with_its_metadata(tmp_path: Path, sample_rag) -> None:
    folder = _folder(
        tmp_path, "merrin-courier-2024-03-06.rss", "harbor-authority.atom", "valley-post.news-please.jsonl",
        "island-news.cc-news.jsonl", "merrin-courier.all-the-news.csv", "old-mill-bridge-epaper.pdf",
        "harbor-ferry-release.docx",
    )
    settings = Settings(index_dir=tmp_path / "index")
    report = _ingest(folder, settings, sample_rag.embedder)
    assert report.errors == []
    assert report.files == 3 + 2 + 3 + 2 + 2 + 1 + 1
    got = manifest_articles(settings)

    school = got["Kessel Island school gets a solar roof before the summer term"]  # RSS content:encoded
    assert (school["outlet"], school["date"], school["byline"]) == ("The Merrin Courier", "2024-03-04", "Amira Stone")
    assert school["source"] == "https://merrincourier.example/2024/03/04/kessel-island-school-solar-roof/"
    chunks = ChunkStore(settings).all_chunks({"source": school["source"]})
    assert any(c.meta["kind"] == "caption" and "faces south" in c.text for c in chunks)  # its <figcaption>
    assert not any("<p>" in c.text or "&#8217;" in c.text for c in chunks)

    dredging = got["Dredging of the north channel to start in May"]  # Atom
    assert dredging["outlet"] == "Harbor Authority of Port Merrin: press releases"
    assert (dredging["date"], dredging["byline"]) == ("2024-02-19", "Harbor Authority Press Office")

    trains = got["Sunday trains on the Sallow Valley line to run every hour"]  # news-please
    assert (trains["date"], trains["byline"]) == ("2024-03-07", "Priya Haldane and Owen Marsh")
    assert trains["source"] == "https://valleypost.example/news/sunday-trains-hourly"
    assert got["Kessel Island lighthouse reopens to visitors"]["date"] == "2024-03-02"  # CC-News

    budget = got["Merrin council approves 2024 budget with 3 percent tax rise"]  # CSV without URLs
    assert (budget["source"], budget["date"], budget["byline"]) == (
        "merrin-courier.all-the-news.csv line 2", "2024-02-27", "Tomas Reyes")

    bridge = got["Council votes to rebuild Old Mill bridge by 2026"]  # the two-column PDF
    text = " ".join(_texts(settings, "old-mill-bridge-epaper.pdf"))
    assert "Construction is due to start next March and to take about 20 months, during which traffic" in text
    assert str(bridge["byline"]).startswith("Tomas Reyes")  # the byline line is its own paragraph
    assert "Harbor Authority opens night ferry service to Kessel Island" in got  # the Word file's Heading 1
    assert index_problems(settings) == []


def test_a_dump_with_other_column_names_reads_with_configured_fields(tmp_path: Path, sample_rag) -> None:
    folder = _folder(tmp_path, "valley-post.all-the-news-2.csv")
    settings = Settings(index_dir=tmp_path / "index")
    refused = _ingest(folder, settings, sample_rag.embedder)
    assert refused.files == 0
    assert refused.errors == [("valley-post.all-the-news-2.csv", (
        "skipped: no text column (looked for text, content, body, maintext; the header has date, year, month, "
        "day, author, title, article, url, section, publication); name it with --field text=COLUMN"))]
    fields = DumpFields().with_names({"text": "article", "outlet": "publication"})
    report = _ingest(folder, settings, sample_rag.embedder, fields=fields)
    assert (report.files, report.errors) == (1, [])
    marathon = manifest_articles(settings)["Port Merrin marathon moves to October"]
    assert (marathon["outlet"], marathon["date"], marathon["byline"]) == ("Valley Post", "2024-03-01", "Owen Marsh")


def test_a_refreshed_feed_adds_only_its_new_item_and_keeps_the_rolled_off_one(tmp_path: Path, sample_rag) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    feed = folder / "courier.rss"
    settings = Settings(index_dir=tmp_path / "index")
    shutil.copyfile(FORMATS / "merrin-courier-2024-03-06.rss", feed)
    first = _ingest(folder, settings, sample_rag.embedder)
    assert (first.files, first.skipped) == (3, 0)
    shutil.copyfile(FORMATS / "merrin-courier-2024-03-07.rss", feed)  # one new item, the oldest rolled off
    refreshed = _ingest(folder, settings, sample_rag.embedder)
    assert (refreshed.files, refreshed.skipped, refreshed.removed, refreshed.errors) == (1, 2, 0, [])
    titles = set(manifest_articles(settings))
    assert "Night ferry to Kessel Island sells out its first week" in titles
    assert "Sallow valley farmers report the earliest lambing in a decade" in titles  # no longer in the feed
    assert len(titles) == 4
    assert index_problems(settings) == []


def test_a_grown_dump_adds_only_its_new_rows(tmp_path: Path, sample_rag) -> None:
    rows = (FORMATS / "valley-post.news-please.jsonl").read_text().splitlines(keepends=True)
    folder = tmp_path / "news"
    folder.mkdir()
    dump = folder / "crawl.jsonl"
    settings = Settings(index_dir=tmp_path / "index")
    dump.write_text("".join(rows[:2]))
    assert _ingest(folder, settings, sample_rag.embedder).files == 2
    dump.write_text("".join(rows))
    grown = _ingest(folder, settings, sample_rag.embedder)
    assert (grown.files, grown.skipped, grown.chunks > 0) == (1, 2, True)
    assert len(manifest_articles(settings)) == 3


def test_a_url_twice_in_a_dump_is_one_article_and_the_first_copy_stays(tmp_path: Path, sample_rag) -> None:
    row = json.loads((FORMATS / "island-news.cc-news.jsonl").read_text().splitlines()[0])
    later = {**row, "text": row["text"] + "\nA later copy of the page added this sentence."}
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "crawl.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(later) + "\n")
    settings = Settings(index_dir=tmp_path / "index")
    first = _ingest(folder, settings, sample_rag.embedder)
    assert (first.files, first.duplicates) == (1, 1)
    again = _ingest(folder, settings, sample_rag.embedder)
    assert (again.files, again.skipped, again.duplicates) == (0, 1, 1)  # nothing re-embedded
    assert not any("later copy" in t for t in _texts(settings, row["url"]))


@pytest.mark.parametrize("order", ["together", "feed first", "page first"])
def test_a_feed_item_and_the_saved_page_are_one_article_with_the_fuller_text(
        tmp_path: Path, sample_rag, order: str) -> None:
    """The feed only has the bridge story's summary; the saved page names the same URL as its
    canonical address and has the whole story. Whatever the order, the page's text is indexed once."""
    settings = Settings(index_dir=tmp_path / "index")
    feed, page = "merrin-courier-2024-03-06.rss", "old-mill-bridge.html"
    steps = {"together": [(feed, page)], "feed first": [(feed,), (feed, page)], "page first": [(page,), (feed, page)]}
    for names in steps[order]:
        report = _ingest(_folder(tmp_path, *names), settings, sample_rag.embedder)
        assert report.errors == []
    again = _ingest(_folder(tmp_path), settings, sample_rag.embedder)
    assert (again.files, again.duplicates) == (0, 1)  # a second run changes nothing
    bridges = [a for a in manifest_articles(settings).values()
               if str(a["title"]).startswith("Council votes to rebuild")]
    assert len(bridges) == 1 and bridges[0]["source"] == "old-mill-bridge.html"
    manifest = Manifest(settings.manifest_path)
    try:
        assert manifest.files()[BRIDGE_URL].root == str((tmp_path / "news").absolute())
    finally:
        manifest.close()
    assert any("Kiln Street crossing" in t for t in _texts(settings, "old-mill-bridge.html"))
    assert index_problems(settings) == []
