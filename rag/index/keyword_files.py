"""The keyword side of one manifest generation, saved in `<index dir>/keyword/gen-<N>/`.

Why on disk: the first query of a fresh process (a `rag serve` replica, a `rag ask`) used to pull
every chunk out of Chroma and build BM25 in memory (seconds and gigabytes at 100k chunks, docs/perf).
Now ingest
builds the index from the manifest's token rows at the end of each run and saves it with the
chunk ids and filter fields by position; a reader memory-maps the folder of the generation it
sees. A reader that finds no folder for its generation (an ingest is still running, or was
killed) builds it from the token rows, which are committed with the manifest and so always
match it, and saves it for the next process. Chunk texts stay in Chroma: retrieval fetches them
for its hits only.

The same folder holds a second BM25 over whole articles (`rag.retrieval.ranking` fuses it into the article
score), built from the same token rows: an article's chunks are contiguous in position order, so
each article is one span of rows.

With a Chroma server (`RAG_CHROMA_URL`) the ingester saves it here too, then publishes the same
folder to the server (`rag.index.published`); every process reading that server downloads the
folder into its own `RAG_INDEX_DIR` and maps it from there (`rag.index.committed.ServerIndex`).

Indexes made before token rows existed get them on first open: their committed chunks are read
from Chroma once, tokenised and written to the manifest (`backfill`).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.core.types import StoredChunk
from rag.index.keyword import KeywordIndex, keyword_text, tokenize
from rag.index.manifest import ChunkRow, KeywordRows, Manifest

KEYWORD_DIR = "keyword"
FIELDS = ("outlet", "source", "date")  # per-article filter fields, stored per chunk position
LAYOUT = 2  # bumped when the folder's files change (2: the whole-article index); older folders are rebuilt
KEEP_GENERATIONS = 2  # the newest folders kept: a reader may still have the previous one mapped

log = logging.getLogger(__name__)


class ChunkSource(Protocol):
    """Where a backfill reads old chunks from (`ChunkStore`)."""

    def all_chunks(self, where: dict | None = None, batch: int = 5000) -> list[StoredChunk]: ...


@dataclass
class KeywordSnapshot:
    """BM25 over one generation's committed chunks, with each position's chunk id and filter fields."""

    generation: int
    chunk_ids: np.ndarray
    fields: dict[str, np.ndarray]  # article_id, outlet, source, date per position
    keyword: KeywordIndex
    article_starts: np.ndarray  # first position of each article; articles are contiguous runs
    article_keyword: KeywordIndex  # BM25 over each article's title and whole text, one row per article

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    def article_span(self, article: int) -> tuple[int, int]:
        """[start, end) positions of the `article`-th article."""
        end = int(self.article_starts[article + 1]) if article + 1 < len(self.article_starts) else self.size
        return int(self.article_starts[article]), end


def keyword_root(manifest: Manifest) -> Path:
    return manifest.path.parent / KEYWORD_DIR


def generation_folder(root: Path, generation: int) -> Path:
    return root / f"gen-{generation}"


def open_snapshot(manifest: Manifest, source: ChunkSource | None = None) -> KeywordSnapshot:
    """The current generation's snapshot: loaded if saved, else built from token rows and saved."""
    generation = manifest.generation()
    try:
        loaded = load_folder(generation_folder(keyword_root(manifest), generation), generation)
    except OSError:  # pruned under us by a newer save: build our own
        loaded = None
    return loaded if loaded is not None else save_current(manifest, source)


def load_folder(folder: Path, generation: int) -> KeywordSnapshot | None:
    """A saved folder, memory-mapped; None when it is missing or of an older layout."""
    saved = _description(folder)
    if saved is None or saved["layout"] != LAYOUT:
        return None
    return _load(folder, generation, saved["fields"])


def empty_snapshot() -> KeywordSnapshot:
    """The snapshot of an index with nothing committed."""
    nothing = np.zeros(0, dtype=str)
    return KeywordSnapshot(0, nothing, {name: nothing for name in ("article_id", *FIELDS)},
                           KeywordIndex.build([]), np.zeros(0, dtype=np.int64), KeywordIndex.build([]))


def save_current(manifest: Manifest, source: ChunkSource | None = None) -> KeywordSnapshot:
    """Build the current generation from the manifest and save it (ingest calls this per run).

    The token rows are streamed from the manifest (twice per index, see `KeywordIndex.build`), so
    what this holds at once is the finished arrays, not the corpus's tokens.
    """
    if source is not None:
        backfill(manifest, source)
    with manifest.keyword_rows() as rows:
        ids = [(chunk_id, article_id) for chunk_id, article_id, _ in rows]
        chunk_ids = np.array([c for c, _ in ids], dtype=str)
        article_ids = np.array([a for _, a in ids], dtype=str)
        del ids
        keyword = KeywordIndex.build(_TokenRows(rows))
        starts = article_starts(article_ids)
        article_keyword = KeywordIndex.build(_ArticleRows(rows))
        generation, articles = rows.generation, rows.articles
    by_article = {aid: fields for aid, *fields in articles}
    fields = {"article_id": article_ids}
    for i, name in enumerate(FIELDS):
        fields[name] = np.array([by_article.get(aid, ("",) * len(FIELDS))[i] for aid in article_ids.tolist()],
                                dtype=str)
    snapshot = KeywordSnapshot(generation, chunk_ids, fields, keyword, starts, article_keyword)
    try:
        _save(snapshot, keyword_root(manifest))
    except OSError as exc:  # e.g. a replica with a read-only index dir: serve from memory
        log.warning("could not save the keyword index under %s: %s", keyword_root(manifest), exc)
    return snapshot


@dataclass(frozen=True)
class _TokenRows:
    """Each chunk's tokens, read afresh from the manifest on every pass."""

    rows: KeywordRows

    def __iter__(self) -> Iterator[list[str]]:
        return (tokens.split() for _, _, tokens in self.rows)


@dataclass(frozen=True)
class _ArticleRows:
    """Each article's tokens (`article_tokens` of its chunks' rows), read afresh on every pass."""

    rows: KeywordRows

    def __iter__(self) -> Iterator[list[str]]:
        for _, chunks in itertools.groupby(self.rows, key=lambda row: row[1]):
            yield article_tokens([tokens.split() for _, _, tokens in chunks])


def backfill(manifest: Manifest, source: ChunkSource) -> int:
    """Token rows for committed files that have none (indexes built before them); returns chunks added."""
    missing = manifest.files_without_chunk_rows()
    if not missing:
        return 0
    paths = sorted(missing)
    rows: list[tuple[str, ChunkRow]] = []
    for start in range(0, len(paths), 500):
        chunks = source.all_chunks(where={"path": {"$in": paths[start:start + 500]}})
        chunks = [c for c in chunks if missing.get(str(c.meta.get("path"))) == c.meta.get("file_sha")]
        tokens = tokenize([keyword_text(str(c.meta.get("title", "")), c.text) for c in chunks])
        rows += [(str(c.meta["path"]), chunk_row(c.chunk_id, c.meta, t)) for c, t in zip(chunks, tokens)]
    manifest.add_chunk_rows(missing, rows)
    return len(rows)


def article_starts(article_ids: np.ndarray) -> np.ndarray:
    """Positions where a new article begins (the rows are sorted by article, then position)."""
    if not len(article_ids):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], article_ids[1:] != article_ids[:-1]))).astype(np.int64)


def article_tokens(chunk_rows: list[list[str]]) -> list[str]:
    """One article's token row: its chunks' rows joined, the title counted once.

    Every chunk row starts with its article's title tokens (`keyword_text`); the prefix all of an
    article's rows share is that title, so it is kept from the first row and dropped from the rest.
    Without this a long article would repeat its title once per chunk.
    """
    first, rest = chunk_rows[0], chunk_rows[1:]
    shared = len(os.path.commonprefix(chunk_rows)) if rest else 0  # works on any sequences
    return first + [t for r in rest for t in r[shared:]]


def chunk_row(chunk_id: str, meta: dict, tokens: list[str], sentences: tuple[bytes, bytes] | None = None) -> ChunkRow:
    article, position = str(meta.get("article_id", "")), int(meta.get("position", 0))
    return ChunkRow(chunk_id, article, position, " ".join(tokens), sentences)


def _description(folder: Path) -> dict | None:
    """A saved folder's `fields.json` (its layout and field names); None when missing or unreadable.
    A folder saved before layouts were numbered is layout 1."""
    try:
        saved = json.loads((folder / "fields.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {"layout": 1, **saved} if isinstance(saved, dict) else {"layout": 1}


def _layout(folder: Path) -> int | None:
    """The layout a saved folder was written with; None when there is none (or it is unreadable)."""
    saved = _description(folder)
    return None if saved is None else saved["layout"]


def _load(folder: Path, generation: int, names: list[str]) -> KeywordSnapshot:
    fields = {name: np.load(folder / f"field-{name}.npy", mmap_mode="r") for name in names}
    return KeywordSnapshot(generation, np.load(folder / "chunk_ids.npy", mmap_mode="r"), fields,
                           KeywordIndex.load(folder / "bm25"), np.load(folder / "article_starts.npy"),
                           KeywordIndex.load(folder / "article-bm25"))


def _save(snapshot: KeywordSnapshot, root: Path) -> None:
    """Write into a temporary folder and rename it into place, so a reader never sees half of one."""
    root.mkdir(parents=True, exist_ok=True)
    target = generation_folder(root, snapshot.generation)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".gen-{snapshot.generation}."))
    try:
        snapshot.keyword.save(tmp / "bm25")
        snapshot.article_keyword.save(tmp / "article-bm25")
        np.save(tmp / "article_starts.npy", snapshot.article_starts)
        np.save(tmp / "chunk_ids.npy", snapshot.chunk_ids)
        for name, values in snapshot.fields.items():
            np.save(tmp / f"field-{name}.npy", values)
        (tmp / "fields.json").write_text(json.dumps({"layout": LAYOUT, "fields": list(snapshot.fields)}),
                                         encoding="utf-8")
        os.chmod(tmp, 0o755)
        if target.exists() and _layout(target) != LAYOUT:  # written by an older version: replace it
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.rename(tmp, target)
        except OSError:  # another process saved this generation first: theirs is the same
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prune(root)


def prune(root: Path) -> None:
    """Keep the newest `KEEP_GENERATIONS` folders under `root`; drop temporary folders of killed writers."""
    saved = sorted((p for p in root.glob("gen-*") if p.name[4:].isdigit()), key=lambda p: int(p.name[4:]))
    for old in saved[:-KEEP_GENERATIONS]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".gen-*"):  # temporary folders of killed writers, older than a minute
        if stale.stat().st_mtime < time.time() - 60:
            shutil.rmtree(stale, ignore_errors=True)
