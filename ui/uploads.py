"""Uploaded files: copied under `<index_dir>/uploads/`, then ingested incrementally.

Uploads live beside the index they feed so that re-ingesting the folder is the whole story: an
unchanged file is skipped by its hash, a re-upload with the same name replaces the old version.
File names come from the browser, so they are reduced to a safe basename before touching disk.
The page and `POST /api/ingest` both come through `ingest_uploads`, one batch at a time: batches
share the uploads folder and the manifest. Every kind `rag ingest` reads is accepted: pages, PDF
and Word files, feeds, and dumps (a re-uploaded, grown dump adds only its new rows), each kind
under its own size cap.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.dumps import DUMP_SUFFIXES
from ingest.readers import DOCUMENT_SUFFIXES
from ingest.sources import SUPPORTED_SUFFIXES as ALLOWED_SUFFIXES
from rag.core.settings import Settings

PAGE_UPLOAD_BYTES = 10 * 1024 * 1024  # a page or a feed
DOCUMENT_UPLOAD_BYTES = 50 * 1024 * 1024  # a PDF or Word file: mostly images and fonts
DUMP_UPLOAD_BYTES = 200 * 1024 * 1024  # a JSON Lines or CSV dump: larger ones go through `rag ingest`
MAX_UPLOAD_BYTES = DUMP_UPLOAD_BYTES
"""The largest upload of any kind: what the page and the API accept before the per-kind check."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_one_batch_at_a_time = threading.Lock()


@dataclass
class UploadResult:
    """What happened to one batch: files saved and ingested, and problems by file name."""

    saved: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""


def uploads_dir(settings: Settings) -> Path:
    return settings.index_dir / "uploads"


def safe_name(name: str) -> str:
    """A basename with no path parts or odd characters; keeps the extension."""
    base = Path(str(name).replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .") or "upload"
    return base[:120]


def upload_cap(suffix: str) -> int:
    """The size cap of an upload with this suffix."""
    if suffix in DUMP_SUFFIXES:
        return DUMP_UPLOAD_BYTES
    return DOCUMENT_UPLOAD_BYTES if suffix in DOCUMENT_SUFFIXES else PAGE_UPLOAD_BYTES


def save_uploads(files: Sequence[str | Path], target: Path, result: UploadResult) -> list[Path]:
    """Copy accepted files into `target`; unsupported or oversized ones go to `result.problems`."""
    target.mkdir(parents=True, exist_ok=True)
    saved = []
    for file in files:
        source = Path(file)
        name = safe_name(source.name)
        suffix = source.suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            result.problems.append((name, f"not a {', '.join(ALLOWED_SUFFIXES)} file"))
            continue
        if source.stat().st_size > upload_cap(suffix):
            result.problems.append((name, f"larger than {upload_cap(suffix) // (1024 * 1024)} MB"))
            continue
        dest = target / name
        shutil.copyfile(source, dest)
        saved.append(dest)
        result.saved.append(name)
    return saved


def ingest_uploads(
    files: Sequence[str | Path],
    settings: Settings,
    on_file: Callable[[str], None] | None = None,
) -> UploadResult:
    """Save `files` and ingest the uploads folder; bad files are reported by name, not raised."""
    from ingest.pipeline import ingest_path

    result = UploadResult()
    target = uploads_dir(settings)
    with _one_batch_at_a_time:
        save_uploads(files, target, result)
        if not result.saved:
            result.summary = "Nothing to ingest."
            return result
        report = ingest_path(target, settings, on_file=on_file, progress=False)
    result.problems.extend(report.errors)
    result.summary = (
        f"Ingested {report.files} document(s): {report.articles} article(s), {report.chunks} chunk(s)"
        f" in {report.seconds:.1f} s; {report.skipped} unchanged, {report.duplicates} already in another form."
    )
    return result
