"""The errors ingest raises: kept apart so the readers, the HTML extractor and the pipeline can
all raise them without importing each other."""

from __future__ import annotations

from pathlib import Path

from rag.core.errors import RagError


class IngestError(RagError):
    """The path to ingest does not exist or holds nothing ingestible."""


class FileRejected(RagError):
    """A file we will not ingest; `reason` reads like "skipped: empty file (0 bytes)"."""

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
