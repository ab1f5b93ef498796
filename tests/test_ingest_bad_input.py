"""Bad input named, nothing lost: each broken feed, dump line, PDF or oversized file is reported
with its file and line or item and the reason, and everything else in the same run goes in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ingest.pipeline import ingest_path
from rag.core.settings import Settings
from tests.index_checks import FORMATS, index_problems, manifest_articles

TWO_GB = 2 * 1024**3


def test_every_bad_input_is_named_and_the_rest_goes_in(tmp_path: Path, sample_rag) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("bad-lines.jsonl", "no-text-column.csv", "broken.rss", "sitemap.xml",
                 "harbor-ferry-release-encrypted.pdf", "harbor-ferry-release-scanned.pdf", "harbor-authority.atom"):
        shutil.copyfile(FORMATS / name, folder / name)
    with (folder / "huge.jsonl").open("wb") as huge:  # sparse: costs no disk
        huge.seek(TWO_GB - 1)
        huge.write(b"\n")
    settings = Settings(index_dir=tmp_path / "index")
    report = ingest_path(folder, settings, embedder=sample_rag.embedder, progress=False)
    errors = dict(report.errors)
    assert errors == {
        "bad-lines.jsonl line 2": "skipped: not JSON (Invalid control character, column 80)",
        "bad-lines.jsonl line 4": "skipped: a JSON list, not an object with article fields",
        "bad-lines.jsonl line 5": "skipped: no text (none of text, content, body, maintext has any)",
        "broken.rss": "malformed feed (SAXParseException: <unknown>:4:28: not well-formed (invalid token)); "
                      "its 2 item(s) were read anyway",
        "broken.rss item 2": "skipped: item has no content or summary",
        "harbor-ferry-release-encrypted.pdf":
            "skipped: encrypted PDF (it needs a password to open); save an unlocked copy and ingest that",
        "harbor-ferry-release-scanned.pdf": "skipped: PDF has no text layer (1 page(s) of images, a scan?); "
                                            "run OCR on it first (e.g. ocrmypdf) and ingest the result",
        "huge.jsonl": "skipped: too large (2.0 GB; the cap is 1.0 GB)",
        "no-text-column.csv": "skipped: no text column (looked for text, content, body, maintext; the header has "
                              "headline, link, published); name it with --field text=COLUMN",
        "sitemap.xml": "skipped: not a readable RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> element)",
    }
    assert set(manifest_articles(settings)) == {
        "Kessel Island ferry fares frozen for 2024", "Kessel Island lighthouse reopens to visitors",  # bad-lines.jsonl
        "Harbour wall repairs start at Pier 2",  # the malformed feed's readable item
        "Harbor Authority opens night ferry service to Kessel Island",
        "Dredging of the north channel to start in May",
    }
    assert index_problems(settings) == []
    os.truncate(folder / "huge.jsonl", 0)
