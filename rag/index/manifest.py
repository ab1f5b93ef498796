"""The ingest manifest: which version of each file is committed to the index.

A SQLite file (`manifest.sqlite3`) beside the Chroma index. Writing a file's chunks and flipping its manifest row are
separate steps, so the row is the commit point: queries only trust chunks whose (path, file_sha)
matches a committed row, and a `pending` row records a file whose write began but did not commit,
so the next ingest can sweep what a killed run left behind.

Each committed chunk also has a row here with its keyword tokens, written in the same transaction
as its file's row: the BM25 index (`rag.index.keyword_files`) is built from these rows, never by
pulling the collection out of Chroma, and cannot disagree with what is committed. Ingest commits a
batch of files per transaction (`begin`, `commit` and `clear_pending` take many files at once).
Beside it, in the same transaction, go the chunk's sentence spans and vectors for the extractive
reader (`rag.index.sentence_vectors`), when the embedder made them.

With a Chroma server the manifest stays on the ingesting machine: it is that machine's
bookkeeping, and what replicas need of it is published to the server (`rag.index.published`),
under a random id the manifest keeps (`ingester_id`).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rag.index.sentence_vectors import ChunkSentences, unpack

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
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, path TEXT NOT NULL, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_path ON chunks (path);
CREATE INDEX IF NOT EXISTS chunks_in_reading_order ON chunks (article_id, position);
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id TEXT PRIMARY KEY, path TEXT NOT NULL, spans BLOB NOT NULL, vectors BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentences_by_path ON sentences (path);
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
class ChunkRow:
    """What the manifest keeps of a chunk: enough to build BM25, to find an article's chunks, and
    (when the embedder pooled them) its sentences for the reader."""

    chunk_id: str
    article_id: str
    position: int
    tokens: str  # keyword tokens, space-separated (`rag.index.keyword.tokenize`)
    sentences: tuple[bytes, bytes] | None = None  # `sentence_vectors.pack`ed spans and vectors


@dataclass(frozen=True)
class KeywordRows:
    """The committed chunks' keyword rows of one generation; iterating gives (chunk_id, article_id,
    tokens) in reading order (by article, then position), afresh each time."""

    generation: int
    articles: list[tuple[str, str, str, str]]  # (article_id, outlet, source, date)
    _db: sqlite3.Connection

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter(self._db.execute("SELECT chunk_id, article_id, tokens FROM chunks ORDER BY article_id, position"))


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
        self.path = db_path
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

    def ingester_id(self) -> str:
        """This manifest's random id, made on first use: a Chroma server's published index names the
        ingester it came from."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('ingester', ?)", (secrets.randbits(62),))
        value = int(self._db.execute("SELECT value FROM meta WHERE key='ingester'").fetchone()[0])
        return f"{value:016x}"

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

    def begin(self, versions: Sequence[tuple[str, str]]) -> None:
        """Record intent, (path, sha) per file, before touching the index: a crash leaves a trail."""
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?)", versions)

    def commit(self, commits: Sequence[Commit], keep_pending: bool = False) -> None:
        """Make each commit's record the visible version of its file, with its articles and chunks.

        One transaction for the whole batch; `keep_pending` leaves the intent rows in place while
        the caller still has cleanup to do.
        """
        with self._transaction() as db:
            paths = [(c.record.path,) for c in commits]
            db.executemany("DELETE FROM articles WHERE path = ?", paths)
            db.executemany("DELETE FROM chunks WHERE path = ?", paths)
            now = time.time()
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*_record_row(c.record), now) for c in commits],
            )
            db.executemany(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (aid, c.record.path, a.title, a.outlet, a.date, a.byline, a.source, n)
                    for c in commits
                    for aid, a, n in c.articles
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
                [(k.chunk_id, c.record.path, k.article_id, k.position, k.tokens) for c in commits for k in c.chunks],
            )
            db.executemany("DELETE FROM sentences WHERE path = ?", paths)
            db.executemany(
                "INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?)",
                [(k.chunk_id, c.record.path, *k.sentences) for c in commits for k in c.chunks if k.sentences],
            )
            if not keep_pending:
                db.executemany("DELETE FROM pending WHERE path = ?", paths)
            _bump_generation(db)

    def forget(self, paths: Sequence[str], keep_pending: bool = False) -> None:
        """Drop files (removed from disk, or now rejected) from the committed set."""
        rows = [(p,) for p in paths]
        tables = ("files", "articles", "chunks", "sentences") + (() if keep_pending else ("pending",))
        with self._transaction() as db:
            for table in tables:
                db.executemany(f"DELETE FROM {table} WHERE path = ?", rows)
            _bump_generation(db)

    def clear_pending(self, paths: Sequence[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM pending WHERE path = ?", [(p,) for p in paths])

    def sentences(self, chunk_ids: Sequence[str]) -> dict[str, ChunkSentences]:
        """The stored sentences of those chunks that have them (indexes of older versions, or
        written by an embedder that cannot pool spans, have none: the reader embeds those)."""
        found: dict[str, ChunkSentences] = {}
        ids = list(dict.fromkeys(chunk_ids))
        for i in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
            part = ids[i : i + 500]
            rows = self._db.execute(
                f"SELECT chunk_id, spans, vectors FROM sentences WHERE chunk_id IN ({','.join('?' * len(part))})", part
            ).fetchall()
            found.update((cid, unpack(spans, vectors)) for cid, spans, vectors in rows)
        return found

    def sentence_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM sentences").fetchone()[0])

    def sentence_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM sentences")}

    def packed_sentences(self, chunk_ids: Sequence[str]) -> list[tuple[str, str, str, bytes, bytes]]:
        """(chunk_id, path, file sha, spans blob, vectors blob) of those chunks that have sentence rows."""
        found: list[tuple[str, str, str, bytes, bytes]] = []
        ids = list(dict.fromkeys(chunk_ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            found += self._db.execute(
                "SELECT s.chunk_id, s.path, f.sha, s.spans, s.vectors FROM sentences s JOIN files f USING (path) "
                f"WHERE s.chunk_id IN ({','.join('?' * len(part))})", part
            ).fetchall()
        return found

    def published_rows(self) -> tuple[int, list[tuple[str, str, str, str, str, str, int]], set[str]]:
        """(generation, `articles()`, chunk ids with sentence rows), read in one transaction so all
        three describe the generation returned."""
        with self._transaction() as db:
            db.execute("BEGIN")
            generation = int(db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
            articles = self.articles()
            with_sentences = self.sentence_ids()
        return generation, articles, with_sentences

    # --- the keyword rows ----------------------------------------------------------------------
    @contextmanager
    def keyword_rows(self) -> Iterator[KeywordRows]:
        """One generation's keyword rows, to be read as often as a build needs, never all in memory.

        A read transaction on a connection of its own holds the snapshot, so every pass sees exactly
        the rows of the generation it reports, whatever an ingest commits meanwhile, and this
        process's other manifest calls are not held up.
        """
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            db.execute("BEGIN")
            generation = int(db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
            articles = db.execute("SELECT article_id, outlet, source, date FROM articles").fetchall()
            yield KeywordRows(generation, articles, db)
        finally:
            db.close()

    def files_without_chunk_rows(self) -> dict[str, str]:
        """path -> sha of committed files with no keyword rows: indexes built before they existed."""
        return dict(self._db.execute(
            "SELECT path, sha FROM files WHERE chunks > 0 AND path NOT IN (SELECT DISTINCT path FROM chunks)"
        ).fetchall())

    def add_chunk_rows(self, sha_by_path: dict[str, str], rows: Sequence[tuple[str, ChunkRow]]) -> None:
        """Backfill keyword rows (path, row) of files still committed at the given sha; no new generation."""
        with self._transaction() as db:
            current = self.committed_versions()
            db.executemany(
                "INSERT OR IGNORE INTO chunks VALUES (?, ?, ?, ?, ?)",
                [(k.chunk_id, path, k.article_id, k.position, k.tokens) for path, k in rows
                 if current.get(path) == sha_by_path.get(path)],
            )


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


@dataclass(frozen=True)
class Commit:
    """One file version to commit: its row, its articles (article_id, article, chunks), its chunks."""

    record: FileRecord
    articles: Sequence[tuple[str, ArticleFields, int]]
    chunks: Sequence[ChunkRow] = ()


def _bump_generation(db: sqlite3.Connection) -> None:
    db.execute("UPDATE meta SET value = value + 1 WHERE key='generation'")
    db.execute("UPDATE meta SET value = ? WHERE key='writer_pid'", (os.getpid(),))


def _record_row(r: FileRecord) -> tuple[str, str, str, str, int, int]:
    return (r.path, r.root, r.source, r.sha, r.articles, r.chunks)
