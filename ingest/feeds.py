"""RSS and Atom feeds -> one `Document` per item, with feedparser.

feedparser reads every feed dialect met in practice (RSS 0.9x/1.0/2.0, Atom 0.3/1.0) and the
broken ones too, marking those "bozo". Each item's text is its full content (`content:encoded`
in RSS, `<content>` in Atom) or else its summary; its title, link, date and author come along,
and the feed's own title is the outlet. A feed that cannot be read at all is one `Rejected`; a
malformed feed whose items could still be read is reported and its items go in; an item without
text is reported by its number.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

from ingest.documents import Rejected, Unit, byline, item_document

FEED_SUFFIXES = (".rss", ".atom", ".xml")


def feed_documents(data: bytes, origin: str, root: str) -> Iterator[Unit]:
    """Each item of the feed in `data` (read from `origin`, a file name or URL) as a `Document`."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(data))  # a stream: a str could be taken for a URL and fetched
    problem = _describe(parsed.get("bozo_exception")) if parsed.bozo else ""
    if not parsed.entries:
        why = problem or ("no items" if parsed.version else "no <rss>, <feed> or <rdf:RDF> element")
        yield Rejected(origin, f"skipped: not a readable RSS or Atom feed ({why})", key=root, root=root)
        return
    if problem:
        yield Rejected(origin, f"malformed feed ({problem}); its {len(parsed.entries)} item(s) were read anyway")
    outlet = " ".join(str(parsed.feed.get("title", "")).split())
    for number, entry in enumerate(parsed.entries, 1):
        yield _item(entry, number, origin, root, outlet)


def _item(entry: Any, number: int, origin: str, root: str, outlet: str) -> Unit:
    where = f"{origin} item {number}"
    body = _body(entry)
    if not body.strip():
        return Rejected(where, "skipped: item has no content or summary")
    document = item_document(
        root=root, source=where, url=str(entry.get("link", "")), title=str(entry.get("title", "")), body=body,
        outlet=outlet, date=_date(entry), byline=byline(entry.get("authors") or entry.get("author", "")),
    )
    if not document.text.strip() or document.text == document.meta.get("title"):
        return Rejected(where, "skipped: no text left in the item's HTML")
    return document


def _body(entry: Any) -> str:
    """The longest full-content value, else the summary (feeds often put a teaser in both)."""
    contents = [str(c.get("value", "")) for c in entry.get("content", [])]
    return max(contents, key=len, default="") or str(entry.get("summary", ""))


def _date(entry: Any) -> str:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return str(entry.get("published", entry.get("updated", "")))


def _describe(exc: object) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message[:160]}" if message else type(exc).__name__
