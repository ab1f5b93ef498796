"""`rag ingest URL`: a page or a feed fetched over HTTP with httpx, then read like a file.

The server on the other end is not ours, so every request is bounded: connect and read timeouts,
a size cap checked against Content-Length and again while streaming, at most a few redirects,
and only content types we can read (HTML, RSS/Atom, PDF, Word, plain text). Each failure is a
`Rejected` naming the URL and the reason (timed out, HTTP 404, too large, a content type).
A page is keyed by its canonical address, else the address it was fetched from, so fetching it
again updates it and a feed item with the same link is the same article.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from ingest.documents import Document, Rejected, Unit
from ingest.docx_text import docx_text
from ingest.errors import FileRejected
from ingest.feeds import feed_documents
from ingest.html import extract_html
from ingest.identity import url_key
from ingest.pdf_text import pdf_text
from ingest.readers import DEFAULT_MAX_BYTES

USER_AGENT = "news-rag/0.1 (+rag ingest URL)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")
PDF_TYPES = ("application/pdf",)
DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
TEXT_TYPES = ("text/plain", "text/markdown")


@dataclass(frozen=True)
class FetchLimits:
    connect_s: float = 10.0
    read_s: float = 20.0  # between bytes, not for the whole body
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # without parameters, lower case
    charset: str | None  # as the Content-Type header declares it
    body: bytes


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def url_units(url: str, client: httpx.Client, limits: FetchLimits) -> Iterator[Unit]:
    """The documents at `url`: one for a page, PDF or text, one per item for a feed."""
    try:
        fetched = fetch(url, client, limits)
    except FileRejected as exc:
        yield Rejected(url, exc.reason, root=url)
        return
    if fetched.content_type in FEED_TYPES:
        yield from feed_documents(fetched.body, url, root=url)
        return
    try:
        yield _page(url, fetched)
    except FileRejected as exc:
        yield Rejected(url, exc.reason, root=url)


def new_client(limits: FetchLimits) -> httpx.Client:
    timeout = httpx.Timeout(limits.read_s, connect=limits.connect_s)
    return httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=limits.max_redirects,
                        headers={"User-Agent": USER_AGENT})


def fetch(url: str, client: httpx.Client, limits: FetchLimits) -> Fetched:
    """What a successful GET returned; `FileRejected` says why it did not succeed."""
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FileRejected(url, f"skipped: HTTP {response.status_code} {response.reason_phrase}".rstrip())
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in HTML_TYPES + FEED_TYPES + PDF_TYPES + DOCX_TYPES + TEXT_TYPES:
                raise FileRejected(url, f"skipped: unsupported content type {content_type or '(none)'!r} "
                                        "(pages, RSS/Atom feeds, PDF, Word and plain text are read)")
            body = _body(url, response, limits.max_bytes)
            return Fetched(str(response.url), content_type, response.charset_encoding, body)
    except httpx.TimeoutException as exc:
        raise FileRejected(url, f"skipped: timed out ({type(exc).__name__}; limits {limits.connect_s:g} s to "
                                f"connect, {limits.read_s:g} s between bytes)") from exc
    except httpx.TooManyRedirects as exc:
        raise FileRejected(url, f"skipped: more than {limits.max_redirects} redirects") from exc
    except httpx.HTTPError as exc:
        raise FileRejected(url, f"skipped: could not fetch ({type(exc).__name__}: {exc})") from exc


def _body(url: str, response: httpx.Response, cap: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FileRejected(url, f"skipped: too large ({int(declared):,} bytes declared; the cap is {cap:,})")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FileRejected(url, f"skipped: too large (over {cap:,} bytes; stopped reading)")
        chunks.append(chunk)
    return b"".join(chunks)


def _page(url: str, fetched: Fetched) -> Document:
    meta: dict[str, str] = {}
    if fetched.content_type in HTML_TYPES:
        text, meta = extract_html(_decode(fetched), url)
    elif fetched.content_type in PDF_TYPES:
        text = pdf_text(fetched.body, url)
    elif fetched.content_type in DOCX_TYPES:
        text, meta = docx_text(fetched.body, url)
    else:
        text = _decode(fetched)
    if not text.strip():
        raise FileRejected(url, "skipped: no text")
    key = url_key(meta.get("url", "")) or url_key(fetched.url, front_page=True) or url
    return Document(key=key, root=url, source=fetched.url, text=text, meta=meta)


def _decode(fetched: Fetched) -> str:
    """The declared charset, else UTF-8, else Windows-1252 (what undeclared pages mostly are)."""
    for encoding in (fetched.charset, "utf-8"):
        if encoding:
            try:
                return fetched.body.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return fetched.body.decode("cp1252", errors="replace")
