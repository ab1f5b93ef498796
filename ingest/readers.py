"""One file on disk -> one decoded `Page`, or a `FileRejected` that says in plain words why not.

Ingest walks folders the user hands us, so anything can turn up: symlink loops, FIFOs, empty or
huge files, binaries with a `.txt` name, Latin-1 or UTF-16 exports. Each of those becomes a
`FileRejected` whose `reason` the ingest report prints as is; nothing here crashes the run.
The file is read once (size checked on the open descriptor first), then decoded: UTF-8, UTF-8 with
BOM, UTF-16/UTF-32 with BOM, else a legacy code page (cp1252, Latin-1, cp1251, …) as
charset_normalizer detects it; a UTF-8 file with broken bytes stays an error. HTML is handed to
`ingest.html`, which returns text plus metadata; PDF and Word files to `ingest.pdf_text` and
`ingest.docx_text`, under a larger size cap (their bytes are mostly images and fonts).
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ingest.boilerplate import folder_boilerplate, line_key
from ingest.docx_text import docx_text
from ingest.errors import FileRejected
from ingest.html import extract_html
from ingest.pdf_text import pdf_text

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
DOCUMENT_SUFFIXES = (".pdf", ".docx")
READABLE_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCUMENT_SUFFIXES
"""Every suffix `read_page` accepts (feeds and dumps are `ingest.feeds` and `ingest.dumps`)."""
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DOCUMENT_MAX_BYTES = 100 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192
# A valid multi-byte UTF-8 sequence: a file holding one is UTF-8, however broken elsewhere.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Page:
    """The decoded text of one file; for HTML, the extracted article text and its metadata."""

    text: str
    is_html: bool
    # HTML: title, outlet, date, byline, and "captions" (one figure caption per line); text files:
    # "boilerplate", the lines this file shares with many files of its folder (one per line)
    meta: dict[str, str] = field(default_factory=dict)
    path: str = ""


def read_page(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Page:
    """Read and decode one `.txt`, `.md`, `.html`, `.htm`, `.pdf` or `.docx` file; raise
    `FileRejected` if unusable. PDF and Word files are capped at `DOCUMENT_MAX_BYTES` instead."""
    path = Path(path)
    info = _stat(path)
    suffix = _suffix(path)
    if suffix not in READABLE_SUFFIXES:
        raise FileRejected(path, f"skipped: unsupported file type {suffix or '(none)'!r}")
    if suffix in DOCUMENT_SUFFIXES:
        return _read_document(path, suffix, _read_bytes(path, info, DOCUMENT_MAX_BYTES))
    data = _read_bytes(path, info, max_bytes)
    text = _decode(path, data)
    if not text.strip():
        raise FileRejected(path, f"skipped: no text (whitespace only, {len(data)} bytes)")
    if suffix in HTML_SUFFIXES or _looks_like_html(text):
        body, meta = extract_html(text, path)
        return Page(text=body, is_html=True, meta=meta, path=str(path))
    return Page(text=text, is_html=False, meta=_shared_lines(text, path), path=str(path))


def _read_document(path: Path, suffix: str, data: bytes) -> Page:
    if suffix == ".pdf":
        return Page(text=pdf_text(data, path), is_html=False, path=str(path))
    text, meta = docx_text(data, path)
    return Page(text=text, is_html=False, meta=meta, path=str(path))


def _shared_lines(text: str, path: Path) -> dict[str, str]:
    """{"boilerplate": the folder-wide lines this page carries}, or {} when it carries none."""
    shared = folder_boilerplate(path, text)
    mine = [line.strip() for line in text.splitlines() if line_key(line) in shared]
    return {"boilerplate": "\n".join(mine)} if mine else {}


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes after the checks `read_page` makes, for readers that decode it themselves
    (a feed names its encoding in its XML declaration)."""
    return _read_bytes(path, _stat(path), max_bytes)


def check_file(path: Path, max_bytes: int) -> None:
    """The checks `read_page` makes before reading (a regular file, not empty, under the cap), for
    readers that stream a file instead of reading it whole."""
    info = _stat(path)
    if info.st_size > max_bytes:
        raise FileRejected(path, _too_large(info.st_size, max_bytes))
    if not info.st_size:
        raise FileRejected(path, "skipped: empty file (0 bytes)")


def _stat(path: Path) -> os.stat_result:
    """Follow symlinks and insist on a regular file, naming loops and dangling links."""
    try:
        info = path.stat()
    except OSError as exc:
        raise FileRejected(path, _stat_reason(path, exc)) from exc
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise FileRejected(path, f"skipped: {kind} (only regular files are read)")
    return info


def _stat_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "skipped: symlink loop (the link points back at itself)"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"skipped: broken symlink (target {os.readlink(path)!r} does not exist)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "skipped: cannot read (permission denied)"
    return f"skipped: cannot read ({exc.strerror or exc})"


def _suffix(path: Path) -> str:
    """The file's own suffix, or its symlink target's when the link name has none we know."""
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES and path.is_symlink():
        return path.resolve().suffix.lower()
    return suffix


def _read_bytes(path: Path, info: os.stat_result, max_bytes: int) -> bytes:
    if info.st_size > max_bytes:
        raise FileRejected(path, _too_large(info.st_size, max_bytes))
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FileRejected(path, _stat_reason(path, exc)) from exc
    if len(data) > max_bytes:  # grew between stat and read
        raise FileRejected(path, _too_large(len(data), max_bytes))
    if not data:
        raise FileRejected(path, "skipped: empty file (0 bytes)")
    return data


def _too_large(size: int, cap: int) -> str:
    return f"skipped: too large ({_human(size)}; the cap is {_human(cap)})"


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    if size < 1024**3:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024**3:.1f} GB"


def _decode(path: Path, data: bytes) -> str:
    """Decode by BOM, else as UTF-8, else (no valid UTF-8 sequence in it) as a legacy code page;
    NUL bytes without a BOM mean a binary file."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decode_as(path, data, codec)
    nul = data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul != -1:
        raise FileRejected(path, f"skipped: binary file (NUL byte at offset {nul})")
    try:
        return _decode_as(path, data, "utf-8")
    except FileRejected:
        if _UTF8_SEQUENCE.search(data):
            raise  # UTF-8 text with broken bytes, not a legacy encoding
        return _decode_legacy(path, data)


def _decode_legacy(path: Path, data: bytes) -> str:
    """charset_normalizer's reading of an 8-bit file. Of its equally good guesses cp1252 wins, the
    code page of most Western saved pages: on short English text its first guess is often cp1250,
    which turns "naïve" into "naďve"."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise FileRejected(path, "skipped: not text in any known encoding")
    least = min(match.chaos for match in matches)
    tied = [match for match in matches if match.chaos == least]
    chosen = next((m for m in tied if "cp1252" in m.could_be_from_charset), tied[0])
    return str(chosen).replace("\r\n", "\n").replace("\r", "\n")


def _decode_as(path: Path, data: bytes, codec: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if codec.startswith("utf-8") else codec.upper()
        bad = data[exc.start]
        reason = f"skipped: not {name} text (invalid byte 0x{bad:02x} at offset {exc.start})"
        raise FileRejected(path, reason) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_html(text: str) -> bool:
    """A `.txt` that is really a saved web page: starts with a doctype or an <html> tag."""
    head = text.lstrip("\ufeff \t\n").lower()[:200]
    return head.startswith(("<!doctype html", "<html"))
