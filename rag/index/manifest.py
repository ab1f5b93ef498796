"""The ingest manifest: which version of each file is committed to the index.

A SQLite file (`manifest.sqlite3`) beside the Chroma index. Writing a file's chunks and flipping its manifest row are
separate steps, so the row is the commit point: queries only trust chunks whose (path, file_sha)
matches a committed row, and a `pending` row records a file whose write began but did not commit,
so the next ingest can sweep what a killed run left behind.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

MANIFEST_FILE = "manifest.sqlite3"
LEGACY_MANIFEST_FILE = "manifest.json"
"""Indexes built before the rename hold the same SQLite database under this misleading name."""
SQLITE_SIDECARS = ("-wal", "-shm")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, root TEXT NOT NULL, source TEXT NOT NULL, sha TEXT NOT NULL,
    articles INTEGER NOT NULL, chunks INTEGER NOT NULL, ingested_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT, outlet TEXT, date TEXT,
    byline TEXT, source TEXT, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending (path TEXT PRIMARY KEY, sha TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
INSERT OR IGNORE INTO meta VALUES ('writer_pid', 0);
"""


class ArticleFields(Protocol):
    """What the manifest keeps of an article (ingest's `Article` has these and more)."""

    title: str
    outlet: str
    date: str
    byline: str
    source: str


@dataclass(frozen=True)
class FileRecord:
    path: str
    root: str
    source: str
    sha: str
    articles: int
    chunks: int


class Manifest:
    """Committed file versions and their articles; every write is one SQLite transaction."""

    def __init__(self, db_path: Path) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        migrate_legacy_name(db_path)
        self._db = sqlite3.connect(db_path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:  # commits on success, rolls back on error
            yield self._db

    def generation(self) -> int:
        """Bumped on every commit, so readers know when to rebuild in-memory indexes."""
        return int(self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    def last_writer(self) -> int:
        """Process id of the last commit, so a reader can tell another process's ingest from its own."""
        return int(self._db.execute("SELECT value FROM meta WHERE key='writer_pid'").fetchone()[0])

    def files(self, root: str | None = None) -> dict[str, FileRecord]:
        if root is None:
            rows = self._db.execute("SELECT * FROM files").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM files WHERE root = ?", (root,)).fetchall()
        return {row[0]: FileRecord(*row[:6]) for row in rows}

    def committed_versions(self) -> dict[str, str]:
        """path -> sha of every committed file: the filter that makes reads consistent."""
        return dict(self._db.execute("SELECT path, sha FROM files").fetchall())

    def articles(self) -> list[tuple[str, str, str, str, str, str, int]]:
        return self._db.execute(
            "SELECT article_id, title, outlet, date, byline, source, chunks FROM articles "
            "ORDER BY date DESC, title"
        ).fetchall()

    def pending(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT path, sha FROM pending").fetchall())

    def begin(self, path: str, sha: str) -> None:
        """Record intent before touching the index, so a crash leaves a trail to clean up."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?)", (path, sha))

    def commit(
        self, record: FileRecord, articles: Sequence[tuple[str, ArticleFields, int]], keep_pending: bool = False
    ) -> None:
        """Make `record` the visible version of its file; `articles` is (article_id, article, chunks).

        `keep_pending` leaves the intent row in place while the caller still has cleanup to do.
        """
        with self._transaction() as db:
            db.execute("DELETE FROM articles WHERE path = ?", (record.path,))
            db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*_record_row(record), time.time()),
            )
            db.executemany(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (aid, record.path, a.title, a.outlet, a.date, a.byline, a.source, n)
                    for aid, a, n in articles
                ],
            )
            if not keep_pending:
                db.execute("DELETE FROM pending WHERE path = ?", (record.path,))
            _bump_generation(db)

    def forget(self, path: str) -> None:
        """Drop a file (removed from disk, or now rejected) from the committed set."""
        with self._transaction() as db:
            db.execute("DELETE FROM files WHERE path = ?", (path,))
            db.execute("DELETE FROM articles WHERE path = ?", (path,))
            db.execute("DELETE FROM pending WHERE path = ?", (path,))
            _bump_generation(db)

    def clear_pending(self, path: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM pending WHERE path = ?", (path,))


def migrate_legacy_name(db_path: Path) -> None:
    """Rename an old index's `manifest.json` (and its WAL files) to `db_path`; nothing is re-embedded.

    The sidecars go first and the database last, so a process that sees `db_path` also sees its
    WAL; two processes racing to rename just find the file already moved.
    """
    legacy = db_path.with_name(LEGACY_MANIFEST_FILE)
    if db_path.exists() or not legacy.exists():
        return
    for suffix in (*SQLITE_SIDECARS, ""):
        try:
            os.rename(f"{legacy}{suffix}", f"{db_path}{suffix}")
        except FileNotFoundError:
            pass


def _bump_generation(db: sqlite3.Connection) -> None:
    db.execute("UPDATE meta SET value = value + 1 WHERE key='generation'")
    db.execute("UPDATE meta SET value = ? WHERE key='writer_pid'", (os.getpid(),))


def _record_row(r: FileRecord) -> tuple[str, str, str, str, int, int]:
    return (r.path, r.root, r.source, r.sha, r.articles, r.chunks)
