"""Checks and stand-ins the index tests share: a generated article, a consistency check of
manifest against Chroma, the manifest's article rows, the folder of sample files in other formats,
and a store that counts what retrieval reads."""

from __future__ import annotations

import gc
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.core.settings import Settings
from rag.core.types import StoredChunk
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore

WORDS = [
    "council",
    "budget",
    "river",
    "bridge",
    "harbor",
    "mayor",
    "school",
    "police",
    "weather",
    "festival",
    "market",
    "railway",
    "election",
    "hospital",
    "farmers",
    "museum",
    "library",
    "ferry",
    "stadium",
    "tunnel",
]


def generated_article(number: int, rng: random.Random, revision: int = 0) -> str:
    topic = rng.sample(WORDS, 3)
    paragraphs = [
        " ".join(
            f"The {rng.choice(WORDS)} committee in Town {number} discussed the {rng.choice(WORDS)} "
            f"plan on day {day} and agreed to review the {rng.choice(WORDS)} report."
            for _ in range(4)
        )
        for day in range(6)
    ]
    if revision:
        paragraphs.append(f"Update {revision}: the {topic[0]} committee of Town {number} met again "
                          f"and approved revision {revision} of the plan.")
    return f"Town {number} weighs {' and '.join(topic)} plans\n\n" + "\n\n".join(paragraphs) + "\n"


def fresh_chroma() -> None:
    """Forget chromadb's per-process client cache: another process changed the files on disk."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    gc.collect()


def index_problems(settings: Any, *, allow_uncommitted: bool = False) -> list[str]:
    """Everything wrong between the manifest and the Chroma collection; [] when consistent.

    Consistent means: no pending row, every chunk belongs to a committed (path, sha), each
    committed file has exactly `files.chunks` chunks (no duplicates, none missing), and the
    manifest's keyword rows (what BM25 is built from) are exactly the committed chunks.
    `allow_uncommitted` tolerates pending rows and uncommitted chunks (right after a kill, before
    the next ingest sweeps them), but still requires committed files to be whole.
    """
    from rag.index.manifest import Manifest
    from rag.index.store import ChunkStore

    manifest = Manifest(settings.manifest_path)
    try:
        files, pending = manifest.files(), manifest.pending()
        with manifest.keyword_rows() as rows:
            keyword_ids = {row[0] for row in rows}
    finally:
        manifest.close()
    committed: Counter[str] = Counter()
    problems: list[str] = []
    stray = 0
    committed_ids = set()
    for chunk in ChunkStore(settings).all_chunks():
        path, sha = chunk.meta.get("path"), chunk.meta.get("file_sha")
        if path in files and files[path].sha == sha:
            committed[path] += 1
            committed_ids.add(chunk.chunk_id)
        else:
            stray += 1
    if keyword_ids != committed_ids:
        problems.append(f"keyword rows differ from the committed chunks: {len(keyword_ids - committed_ids)} "
                        f"without a chunk, {len(committed_ids - keyword_ids)} chunks without a row")
    if stray and not allow_uncommitted:
        problems.append(f"{stray} chunk(s) of uncommitted or unknown file versions")
    if pending and not allow_uncommitted:
        problems.append(f"{len(pending)} pending manifest row(s)")
    for path, record in files.items():
        if committed[path] != record.chunks:
            problems.append(f"{Path(path).name}: {committed[path]} chunks stored, manifest says {record.chunks}")
    return problems


class CountingStore:
    """The real `ChunkStore`, counting what retrieval reads from it."""

    def __init__(self, settings: Settings) -> None:
        self.real = ChunkStore(settings)
        self.fetched_ids: list[str] = []
        self.queried = 0
        self.all_chunk_calls = 0
        self.get_calls = 0

    def query(self, embedding: Sequence[float], n: int,
              where: dict[str, Any] | None) -> list[tuple[StoredChunk, float]]:
        hits = self.real.query(embedding, n, where)
        self.queried += len(hits)
        return hits

    def get(self, ids: Sequence[str]) -> list[StoredChunk]:
        self.fetched_ids += list(ids)
        self.get_calls += 1
        return self.real.get(ids)

    def all_chunks(self, where: dict[str, Any] | None = None, batch: int = 5000) -> list[StoredChunk]:
        self.all_chunk_calls += 1
        return self.real.all_chunks(where, batch)

    def refresh(self) -> None:
        self.real.refresh()

    def require_content(self) -> None:
        self.real.require_content()


FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"
"""Sample feeds, dumps, PDFs and Word files (tests/fixtures/formats/sources says where each is from)."""


def manifest_articles(settings: Settings) -> dict[str, dict[str, str | int]]:
    """title -> the manifest's article row."""
    manifest = Manifest(settings.manifest_path)
    try:
        rows = manifest.articles()
    finally:
        manifest.close()
    keys = ("article_id", "title", "outlet", "date", "byline", "source", "chunks")
    return {row[1]: dict(zip(keys, row)) for row in rows}
