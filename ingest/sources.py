"""What the user points `rag ingest` at -> a stream of `Document`s and `Rejected`s.

A source is a folder (walked, hidden files left out), a file, or an http(s) URL. A file is a page
(`.txt`, `.md`, `.html`, `.pdf`, `.docx`: one document), a feed (`.rss`, `.atom`, `.xml`: one per
item) or a dump (`.jsonl`, `.ndjson`, `.csv`: one per row, streamed). The stream is lazy, so the
pipeline's read-ahead thread pulls it at the pace the embedder takes documents, and a dump of a
million rows is never held.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.documents import Document, Rejected, Unit
from ingest.dumps import DUMP_SUFFIXES, MAX_DUMP_BYTES, DumpFields, dump_documents
from ingest.errors import FileRejected
from ingest.feeds import FEED_SUFFIXES, feed_documents
from ingest.fetch import FetchLimits, is_url, new_client, url_units
from ingest.identity import url_key
from ingest.readers import READABLE_SUFFIXES, read_bytes, read_page

SUPPORTED_SUFFIXES = READABLE_SUFFIXES + FEED_SUFFIXES + DUMP_SUFFIXES
"""Every suffix ingest reads: the folder walk and the upload form use this list."""


@dataclass(frozen=True)
class ReadOptions:
    fields: DumpFields = field(default_factory=DumpFields)
    max_dump_bytes: int = MAX_DUMP_BYTES
    fetch: FetchLimits = field(default_factory=FetchLimits)


def units(sources: Sequence[str], options: ReadOptions) -> Iterator[Unit]:
    """Every document of every source, in order; a folder's files sorted by name."""
    client = new_client(options.fetch) if any(is_url(s) for s in sources) else None
    try:
        for source in sources:
            if client is not None and is_url(source):
                yield from url_units(source, client, options.fetch)
            elif Path(source).is_dir():
                yield from folder_units(Path(source), options)
            else:
                path = Path(source)
                yield from file_units(path, path.absolute().parent, path.name, options)
    finally:
        if client is not None:
            client.close()


def folder_units(folder: Path, options: ReadOptions) -> Iterator[Unit]:
    root = folder.absolute()
    for file in sorted(folder.rglob("*")):
        rel = file.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or (file.is_dir() and not file.is_symlink()):
            continue
        if file.suffix.lower() in SUPPORTED_SUFFIXES or file.is_symlink():
            yield from file_units(file, root, str(rel), options)
        else:
            yield Rejected(str(rel), f"skipped: unsupported file type {file.suffix or '(none)'!r}",
                           key=str(file.absolute()), root=str(root))


def file_units(file: Path, root: Path, name: str, options: ReadOptions) -> Iterator[Unit]:
    """A page is one document; a feed or a dump is one per item, rooted at the file itself."""
    suffix = _suffix(file)
    if suffix in DUMP_SUFFIXES:
        yield from dump_documents(file, options.fields, options.max_dump_bytes)
        return
    if suffix in FEED_SUFFIXES:
        yield from _feed_file(file, name)
        return
    try:
        page = read_page(file)
    except FileRejected as exc:
        yield Rejected(name, exc.reason, key=str(file.absolute()), root=str(root))
        return
    key = url_key(page.meta.get("url", "")) or str(file.absolute())
    yield Document(key=key, root=str(root), source=name, text=page.text, meta=page.meta)


def _feed_file(file: Path, name: str) -> Iterator[Unit]:
    key = str(file.absolute())
    try:
        data = read_bytes(file)
    except FileRejected as exc:
        yield Rejected(name, exc.reason, key=key, root=key)
        return
    yield from feed_documents(data, name, root=key)


def _suffix(file: Path) -> str:
    """The file's suffix, or its symlink target's when the link's own name has none we read."""
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES and file.is_symlink():
        return file.resolve().suffix.lower()
    return suffix
