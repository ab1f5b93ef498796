"""HTML -> article text plus metadata, via trafilatura, without letting bad markup crash ingest.

trafilatura finds the main text and drops scripts, styles, navigation and comments; it also reads
title, site name, date and author from meta tags (og:site_name, article:published_time, author,
JSON-LD). Where no site name is given, the outlet is the one the page's canonical URL (link
rel=canonical, og:url) names by its domain. It throws `<figure>` away, so figure captions are
collected from the parsed tree first. We parse with lxml's `huge_tree` so pages nested deeper than
libxml2's default 256 levels still yield text; anything the parser or extractor cannot handle
becomes a `FileRejected` with a reason, never an exception that stops the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ingest.errors import FileRejected
from ingest.metadata import outlet_from_url

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def extract_html(html: str, path: Path | str = "") -> tuple[str, dict[str, str]]:
    """Main text (paragraphs one per line) and {title, outlet, date, byline, captions, url}."""
    tree = _parse(html, path)
    captions = _figure_captions(tree)
    document = _extract(tree, path)
    text = (document.get("text") or "").strip()
    if not text:
        reason = "skipped: no article text found in the HTML (empty, or markup too broken or deep)"
        raise FileRejected(path, reason)
    return text, _metadata(document, captions)


def _parse(html: str, path: Path | str) -> Any:
    from lxml import etree
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(huge_tree=True, remove_comments=True, encoding="utf-8")
    source = _XML_DECLARATION.sub("", html, count=1).encode("utf-8")
    try:
        return lxml_html.document_fromstring(source, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError, RecursionError) as exc:
        raise FileRejected(path, f"skipped: could not parse HTML ({_describe(exc)})") from exc


def _extract(tree: Any, path: Path | str) -> dict[str, Any]:
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            tree, with_metadata=True, include_comments=False, include_tables=True, favor_recall=True
        )
    except (RecursionError, ValueError, TypeError, AttributeError) as exc:
        raise FileRejected(
            path, f"skipped: could not extract text from HTML ({_describe(exc)})"
        ) from exc
    if document is None:
        return {}
    return document if isinstance(document, dict) else document.as_dict()


def _figure_captions(tree: Any) -> list[str]:
    """Text of every <figcaption>, whitespace collapsed, duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for element in tree.iter("figcaption"):
        text = " ".join(" ".join(element.itertext()).split())
        if text:
            seen.setdefault(text)
    return list(seen)


def _metadata(document: dict[str, Any], captions: list[str]) -> dict[str, str]:
    title, url = document.get("title") or "", document.get("url") or ""
    meta = {
        "title": title,
        "outlet": _site_name(document.get("sitename") or "", title) or _url_outlet(url),
        "url": url if url.startswith(("http://", "https://")) else "",  # the page's address: its id (`ingest.identity`)
        "date": document.get("date") or "",
        "byline": _byline(document.get("author") or ""),
        "captions": "\n".join(captions),
    }
    return {key: value.strip() for key, value in meta.items() if value and value.strip()}


def _site_name(sitename: str, title: str) -> str:
    """trafilatura's site name, unless it is the headline itself (its guess from a <title> whose
    headline part it could not tell from the site's)."""
    return "" if " ".join(sitename.split()) == " ".join(title.split()) else sitename


def _url_outlet(url: str) -> str:
    return outlet_from_url(url) if url.startswith(("http://", "https://")) else ""


def _byline(author: str) -> str:
    """trafilatura joins authors with "; " -> "A", "A and B", "A, B and C"."""
    names = [name.strip() for name in author.split(";") if name.strip()]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _describe(exc: BaseException) -> str:
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message[:120]}" if message else type(exc).__name__
