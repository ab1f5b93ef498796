"""What the query side reads besides the chunks: the keyword snapshot, the reader's sentence
vectors and the article list, and whether this process agrees with the index it reads.

Two sources, chosen by `open_committed` from the settings:

* `LocalIndex`, one machine (embedded Chroma): the manifest in `RAG_INDEX_DIR` and the keyword
  folder saved beside it, reloaded when the manifest's generation moves.
* `ServerIndex`, with `RAG_CHROMA_URL`: what the ingester published to the server
  (`rag.index.published`), with the sentence rows from the server's sentence collection. Every
  process on a server reads this, the ingesting machine's own too, so all of them answer from the
  same generation, and a replica needs nothing but an empty, writable `RAG_INDEX_DIR`.

Freshness on a server: a question looks at the server's small `current` record when the last look
is older than `RAG_REPLICA_REFRESH_S` (default 2 s); a new generation is downloaded into
`RAG_INDEX_DIR/published/gen-<N>/`, memory-mapped, and answers that very question. So what an
ingest committed is answered everywhere within that interval plus one download after the ingest
run ends, and a deletion the same way.

Never silent: a server that is down, lost the published index (wiped, reset), or holds chunks but
never published their keyword index raises a `RagError` saying so instead of answering from
nothing; chunks whose sentence rows went missing on the server are reported by `notice` on every
answer and by `check` in `/api/health`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rag.core.errors import IndexMissingError, IndexUnavailableError
from rag.core.protocols import ChunkReader
from rag.core.settings import Settings
from rag.index import published
from rag.index.keyword_files import (
    KeywordSnapshot,
    empty_snapshot,
    generation_folder,
    load_folder,
    open_snapshot,
    prune,
)
from rag.index.manifest import Manifest
from rag.index.published import Publication, Superseded
from rag.index.sentence_vectors import ChunkSentences
from rag.index.store import ChunkStore

ArticleRow = tuple[str, str, str, str, str, str, int]  # article_id, title, outlet, date, byline, source, chunks
RECORD_FILE = "publication.json"  # in a downloaded folder: the record it was downloaded for
DOWNLOAD_ATTEMPTS = 3


@dataclass(frozen=True)
class IndexState:
    """For `/api/health`: the generation answers come from, the one the server publishes (None
    without a server), and how this process disagrees with the index ("" when it does not)."""

    generation: int | None
    published: int | None = None
    problem: str = ""


class CommittedIndex(Protocol):
    def keyword_snapshot(self) -> KeywordSnapshot: ...

    def sentences(self, chunk_ids: Sequence[str]) -> dict[str, ChunkSentences]: ...

    def articles(self) -> list[ArticleRow]: ...

    def check(self) -> IndexState: ...

    def notice(self) -> str: ...


def open_committed(settings: Settings, store: ChunkStore) -> CommittedIndex:
    if settings.chroma_url:
        return ServerIndex(store, settings.published_cache, settings.replica_refresh_s)
    return LocalIndex(Manifest(settings.manifest_path), store)


class LocalIndex:
    """The manifest and the keyword folders beside it, on this machine."""

    def __init__(self, manifest: Manifest, store: ChunkReader) -> None:
        self.manifest, self.store = manifest, store
        self._snapshot: KeywordSnapshot | None = None

    def keyword_snapshot(self) -> KeywordSnapshot:
        """Swapped whole when an ingest has committed a new generation."""
        generation = self.manifest.generation()
        if self._snapshot is None or self._snapshot.generation != generation:
            if self._snapshot is not None and self.manifest.last_writer() != os.getpid():
                self.store.refresh()  # another process ingested: reload Chroma's view of the disk
            self._snapshot = open_snapshot(self.manifest, self.store)
        return self._snapshot

    def sentences(self, chunk_ids: Sequence[str]) -> dict[str, ChunkSentences]:
        return self.manifest.sentences(chunk_ids)

    def articles(self) -> list[ArticleRow]:
        return self.manifest.articles()

    def check(self) -> IndexState:
        return IndexState(self.manifest.generation())

    def notice(self) -> str:
        return ""


@dataclass(frozen=True)
class _Loaded:
    """One downloaded publication (None: the server is empty) and what it says."""

    publication: Publication | None
    snapshot: KeywordSnapshot
    articles: list[ArticleRow] = field(default_factory=list)
    without_sentences: frozenset[str] = frozenset()  # chunks the ingester stored no sentence rows for


class ServerIndex:
    """The index the ingester published to the Chroma server, downloaded into `cache`."""

    def __init__(self, store: ChunkStore, cache: Path, refresh_s: float) -> None:
        self.store, self.cache, self.refresh_s = store, cache, refresh_s
        self._loaded: _Loaded | None = None
        self._looked = -math.inf  # monotonic time of the last look at the server's record
        self._lost: Publication | None = None  # what this process answered from when the server lost it
        self._missing: set[str] = set()  # chunks read without the sentence rows the publication promised
        self._lock = threading.Lock()

    def keyword_snapshot(self) -> KeywordSnapshot:
        return self._current().snapshot

    def sentences(self, chunk_ids: Sequence[str]) -> dict[str, ChunkSentences]:
        loaded = self._current()
        found = self.store.sentences(chunk_ids)
        missing = {c for c in chunk_ids if c not in found and c not in loaded.without_sentences}
        if missing or self._missing:
            self._note_missing(loaded, missing, found.keys())
        return found

    def _note_missing(self, loaded: _Loaded, missing: set[str], found: Iterable[str]) -> None:
        with self._lock:
            if self._loaded is loaded:
                self._missing = (self._missing | missing).difference(found)

    def articles(self) -> list[ArticleRow]:
        return self._current().articles

    def check(self) -> IndexState:
        """Look at the server now (loading a newer publication) and compare."""
        loaded = self._current(force=True)
        record = loaded.publication
        if record is None:
            return IndexState(0, None)
        if self._missing:  # restored since (a re-run ingest uploads what the server lacks)?
            self._note_missing(loaded, set(), self.store.sentences(sorted(self._missing)).keys())
        problems = [self.notice()]
        rows = self.store.sentence_count()
        if rows < record.sentences:
            problems.append(f"the server holds {rows:,} sentence rows, {record.sentences:,} were published (an "
                            "ingest removing files lowers this until it publishes; otherwise the server lost some)")
        return IndexState(record.generation, record.generation, "; ".join(p for p in problems if p))

    def notice(self) -> str:
        loaded, missing = self._loaded, len(self._missing)
        if not missing or loaded is None or loaded.publication is None:
            return ""
        return (f"{missing} passage(s) read had no sentence vectors on the Chroma server, though "
                f"{loaded.publication.describe()} has them: their sentences were embedded here, so answers can "
                "differ from other replicas'. Re-run `rag ingest` on the ingesting machine to restore them.")

    # --- following the server ---------------------------------------------------------------
    def _current(self, force: bool = False) -> _Loaded:
        loaded = self._loaded
        if loaded is not None and not force and not self._due():
            return loaded
        with self._lock:
            if self._loaded is not None and self._loaded is not loaded and not force:
                return self._loaded  # another thread looked while this one waited
            record = published.current(self.store)
            self._looked = time.monotonic()
            self._loaded = self._follow(record)
            return self._loaded

    def _due(self) -> bool:
        return time.monotonic() - self._looked >= self.refresh_s or published.published_here() > self._looked

    def _follow(self, record: Publication | None) -> _Loaded:
        if record is None:
            return self._unpublished()
        self._lost = None
        if self._loaded is not None and self._loaded.publication == record:
            return self._loaded
        self._missing = set()
        return self._download(record)

    def _unpublished(self) -> _Loaded:
        """No record on the server: empty, never published, or lost since this process read it."""
        url = self.store.settings.chroma_url
        had = self._loaded.publication if self._loaded is not None else None
        self._lost = had or self._lost
        self._loaded = None
        if self._lost is not None:
            raise IndexMissingError(
                f"The Chroma server at {url} no longer holds the published index this process answered from "
                f"({self._lost.describe()}): it was wiped or reset. Re-run `rag ingest` on the ingesting machine."
            )
        chunks = self.store.count()
        if chunks:
            raise IndexMissingError(
                f"The Chroma server at {url} holds {chunks:,} chunks but no published keyword index: run `rag "
                "ingest` once on the ingesting machine (with RAG_CHROMA_URL) to publish it; nothing is re-embedded."
            )
        return _Loaded(None, empty_snapshot())

    def _download(self, record: Publication) -> _Loaded:
        """The record's folder from the cache, else downloaded into it; a newer record met on the
        way (the ingester published again) is followed instead."""
        for _ in range(DOWNLOAD_ATTEMPTS):
            folder = generation_folder(self.cache, record.generation)
            if _downloaded_for(folder) != record:
                try:
                    self._fetch(record, folder)
                except Superseded:
                    newer = published.current(self.store)
                    if newer is None:
                        return self._unpublished()
                    record = newer
                    continue
            return _open(folder, record)
        raise IndexUnavailableError(
            f"The keyword index on the Chroma server at {self.store.settings.chroma_url} changed "
            f"{DOWNLOAD_ATTEMPTS} times while it was being downloaded; ask again."
        )

    def _fetch(self, record: Publication, folder: Path) -> None:
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.cache, prefix=f".gen-{record.generation}."))
        except OSError as exc:
            raise IndexUnavailableError(f"Cannot keep the server's keyword index under {self.cache}: {exc}; "
                                        "RAG_INDEX_DIR must be writable.") from exc
        try:
            published.download(self.store, record, tmp)
            (tmp / RECORD_FILE).write_text(json.dumps(record.metadata()), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)  # an older download of another record: mapped pages survive
            try:
                os.rename(tmp, folder)
            except OSError:  # another process sharing this folder renamed its own first
                if _downloaded_for(folder) != record:
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        prune(self.cache)


def _downloaded_for(folder: Path) -> Publication | None:
    try:
        return Publication.from_metadata(json.loads((folder / RECORD_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return None


def _open(folder: Path, record: Publication) -> _Loaded:
    snapshot = load_folder(folder, record.generation)
    if snapshot is None:
        raise IndexUnavailableError(
            f"The keyword index published to the server ({record.describe()}) is of a layout this version "
            "cannot read: update this replica to the ingester's version."
        )
    articles = [tuple(row) for row in json.loads((folder / published.ARTICLES_FILE).read_text(encoding="utf-8"))]
    without = frozenset(json.loads((folder / published.WITHOUT_SENTENCES_FILE).read_text(encoding="utf-8")))
    return _Loaded(record, snapshot, articles, without)
