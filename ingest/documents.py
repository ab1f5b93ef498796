"""What ingest versions and indexes: a `Document`, which is a whole file or one article of a feed,
a dump or a fetched page; and a `Rejected`, the named reason one could not be read.

Why one shape for all: the pipeline's crash-safe batches, its skip-if-unchanged check and the
manifest only need a key, a version and text, whatever the input was. A file's key is its path,
as it always was; an article that came with an address (a feed item, a dump row, a fetched page,
a saved page naming its canonical URL) is keyed by that address (`ingest.identity`), so the
same story met in two forms is one document.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ingest.errors import FileRejected
from ingest.html import extract_html
from ingest.identity import article_key, clean_url

_HTML_FRAGMENT = re.compile(r"<(?:p|div|br|span|a|em|strong|figure|h\d|ul|ol|li)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """One unit the index keeps a version of."""

    key: str  # its id in the manifest: a file's absolute path, or `ingest.identity`'s url:/sha256: key
    root: str  # what it belongs to: the folder ingested, or the feed, dump or URL it came from
    source: str  # what citations show: the file's name in its folder, or the article's URL
    text: str  # plain text for the cleaner (`ingest.clean.parse_page`)
    meta: Mapping[str, str] = field(default_factory=dict)  # title, outlet, date, byline, captions, url
    meta_is_given: bool = False  # True when `meta` came from outside `text` (a feed or a dump)

    def version(self) -> bytes:
        """What decides whether it changed: the text, plus the metadata when that was handed over
        beside it (a corrected headline in a refreshed feed is a new version)."""
        if not self.meta_is_given:
            return self.text.encode()
        return self.text.encode() + json.dumps(sorted(self.meta.items())).encode()


@dataclass(frozen=True)
class Rejected:
    """A file, line, item or URL that gave no document, and why, in words the report prints."""

    source: str  # "news.jsonl line 17", "feed.xml item 3", a file name, a URL
    reason: str
    key: str = ""  # set for a whole file: a file that fails keeps the version already indexed
    root: str = ""


Unit = Document | Rejected


def item_document(*, root: str, source: str, url: str, title: str, body: str, outlet: str = "",
                  date: str = "", byline: str = "") -> Document:
    """One article of a feed or a dump. The title goes first in the text, as a headline opens a page,
    so the cleaner treats it as one; HTML bodies (feed content) are reduced to text first."""
    meta = {"title": " ".join(title.split()), "outlet": outlet.strip(), "date": iso_date(date),
            "byline": byline.strip(), "url": url.strip()}
    if _HTML_FRAGMENT.search(body[:5000]):
        body, extracted = html_fragment_text(body, source)
        meta["captions"] = extracted.get("captions", "")
    text = f"{meta['title']}\n\n{body.strip()}" if meta["title"] else body.strip()
    return Document(key=article_key(url, meta["title"], body), root=root, source=clean_url(url) or source,
                    text=text, meta={k: v for k, v in meta.items() if v}, meta_is_given=True)


def html_fragment_text(fragment: str, source: str) -> tuple[str, dict[str, str]]:
    """A feed's `content:encoded` (a piece of HTML, not a page) as the text trafilatura finds in it."""
    try:
        return extract_html(f"<html><body>{fragment}</body></html>", source)
    except FileRejected:
        return "", {}


def iso_date(value: str) -> str:
    """`2024-01-30` from ISO 8601 or RFC 822 dates ("2024-01-30T08:15:00Z", "Tue, 30 Jan 2024
    08:15:00 GMT"); other text is returned as is, for the cleaner's own date reader."""
    value = value.strip()
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return value


def byline(names: object) -> str:
    """"A", "A and B", "A, B and C" from a name, a list of names, or a list of {"name": ...}."""
    if isinstance(names, str):
        return names.strip()
    if not isinstance(names, list):
        return ""
    found = [str(n.get("name", "") if isinstance(n, dict) else n).strip() for n in names]
    found = [n for n in found if n]
    return ", ".join(found[:-1]) + " and " + found[-1] if len(found) > 1 else "".join(found)
