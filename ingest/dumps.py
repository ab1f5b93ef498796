"""JSON Lines and CSV article dumps -> one `Document` per row, streamed.

Crawlers and data sets export news one article a row (news-please and CC-News as JSON Lines,
Kaggle's "All the News" as CSV). A dump can hold millions of rows, so it is read a line at a time
and never whole: memory does not grow with the file. Column names differ between exports, so
each field is looked up under several names (`DumpFields`, overridable per run). A row that is
not JSON, not an object, or has no text is reported by its line and skipped; a CSV whose header
has no text column is rejected whole, naming the columns it has.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any

from ingest.documents import Rejected, Unit, byline, item_document
from ingest.errors import FileRejected
from ingest.readers import check_file

JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
DUMP_SUFFIXES = JSONL_SUFFIXES + CSV_SUFFIXES
MAX_DUMP_BYTES = 1024**3  # a larger export is split first (`split -l`); `--max-dump-mb` raises it
MAX_ROW_BYTES = 16 * 1024 * 1024  # one article; a longer line is a broken export, not a story


@dataclass(frozen=True)
class DumpFields:
    """The column names each field is looked for under, first match wins."""

    title: tuple[str, ...] = ("title",)
    text: tuple[str, ...] = ("text", "content", "body", "maintext")
    date: tuple[str, ...] = ("date", "published", "date_publish")
    url: tuple[str, ...] = ("url",)
    outlet: tuple[str, ...] = ("source", "outlet", "source_domain")
    author: tuple[str, ...] = ("author", "authors")

    def with_names(self, names: Mapping[str, str]) -> DumpFields:
        """These fields looked for under the given column first: {"text": "article"}."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(f"unknown dump field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(known))}")
        return replace(self, **{k: (v, *getattr(self, k)) for k, v in names.items()})


def dump_documents(path: Path, fields: DumpFields, max_bytes: int = MAX_DUMP_BYTES) -> Iterator[Unit]:
    """Each row of a `.jsonl`/`.ndjson`/`.csv` dump as a `Document`, or a `Rejected` naming its line."""
    root = str(path.absolute())
    try:
        check_file(path, max_bytes)
    except FileRejected as exc:
        yield Rejected(path.name, exc.reason, key=root, root=root)
        return
    rows = _jsonl_rows(path) if path.suffix.lower() in JSONL_SUFFIXES else _csv_rows(path, fields)
    for line, row in rows:
        where = f"{path.name} line {line}"
        yield row if isinstance(row, Rejected) else _row_document(row, fields, root, where)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(_lines(handle), 1):
            if isinstance(raw, int):
                yield number, Rejected(f"{path.name} line {number}", f"skipped: line longer than {raw:,} bytes")
            elif raw.strip():
                yield number, _json_object(raw, f"{path.name} line {number}")


def _lines(handle: IO[bytes]) -> Iterator[bytes | int]:
    """Each line, or the cap (an int) in place of a line too long to hold, which is skipped."""
    while line := handle.readline(MAX_ROW_BYTES + 1):
        if len(line) <= MAX_ROW_BYTES:
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = handle.readline(MAX_ROW_BYTES)
        yield MAX_ROW_BYTES


def _json_object(raw: bytes, where: str) -> dict[str, Any] | Rejected:
    try:
        row = json.loads(raw)
    except UnicodeDecodeError as exc:
        return Rejected(where, f"skipped: not UTF-8 (invalid byte at offset {exc.start})")
    except json.JSONDecodeError as exc:
        return Rejected(where, f"skipped: not JSON ({exc.msg.removesuffix(' at')}, column {exc.colno})")
    if not isinstance(row, dict):
        return Rejected(where, f"skipped: a JSON {type(row).__name__}, not an object with article fields")
    return row


def _csv_rows(path: Path, fields: DumpFields) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    csv.field_size_limit(min(sys.maxsize, MAX_ROW_BYTES))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            yield 1, Rejected(path.name, f"skipped: not a readable CSV file ({exc})", key=str(path.absolute()))
            return
        if not any(name in header for name in fields.text):
            yield 1, Rejected(path.name, _no_text_column(fields, header), key=str(path.absolute()))
            return
        yield from _csv_records(reader, path.name)


def _csv_records(reader: csv.DictReader[str], name: str) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """Rows numbered by the line they start on (a quoted text field spans many lines)."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, Rejected(f"{name} line {start}", f"skipped: {exc}")
            continue
        except UnicodeDecodeError as exc:
            reason = f"stopped: not UTF-8 from here on (invalid byte 0x{exc.object[exc.start]:02x})"
            yield start, Rejected(f"{name} line {start}", reason)
            return
        yield start, row


def _no_text_column(fields: DumpFields, header: Sequence[str]) -> str:
    return (f"skipped: no text column (looked for {', '.join(fields.text)}; the header has "
            f"{', '.join(header) or 'nothing'}); name it with --field text=COLUMN")


def _row_document(row: Mapping[str, Any], fields: DumpFields, root: str, where: str) -> Unit:
    body = _first(row, fields.text)
    if not body.strip():
        return Rejected(where, f"skipped: no text (none of {', '.join(fields.text)} has any)")
    return item_document(
        root=root, source=where, url=_first(row, fields.url), title=_first(row, fields.title), body=body,
        outlet=_outlet(row, fields.outlet), date=_first(row, fields.date), byline=_author(row, fields.author),
    )


def _first(row: Mapping[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = row.get(name)
        if isinstance(value, (str, int, float)) and str(value).strip():
            return str(value)
    return ""


def _outlet(row: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """A name, or NewsAPI's {"id": ..., "name": ...}."""
    for name in names:
        value = row.get(name)
        if isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _author(row: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """A name or a list of names (news-please's "authors"); a CSV cell "['A', 'B']" stays as written."""
    for name in names:
        found = byline(row.get(name))
        if found:
            return found
    return ""

