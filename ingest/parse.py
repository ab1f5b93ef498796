"""One file -> its articles: the reader and the cleaner joined, so callers handle one error type."""

from __future__ import annotations

from pathlib import Path

from ingest.article import Article
from ingest.clean import parse_page
from ingest.readers import DEFAULT_MAX_BYTES, read_page


def parse_file(path: Path, source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """Read, decode and clean `path`; raises `ingest.readers.FileRejected` for unusable files."""
    page = read_page(Path(path), max_bytes=max_bytes)
    return parse_page(page.text, source, page.meta or None)
