"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by weighted reciprocal rank.

llama-index's QueryFusionRetriever does RRF too, but it neither weights the retrievers in RRF
mode nor reports each retriever's rank, which the chat page shows and the eval tunes; the fusion
itself is ten lines, so it lives here. Near-duplicate passages (one wire story in several
outlets) collapse into one hit that keeps every source.

Nothing here holds the collection: the keyword side (BM25, chunk ids and filter fields by
position) is the generation's saved, memory-mapped snapshot (`rag.index.keyword_files`), dense
hits come from Chroma with their texts, and the texts of keyword-only hits are fetched by id.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from rag.dedupe import containment, shingles
from rag.index.keyword import KeywordIndex
from rag.index.keyword_files import open_snapshot
from rag.index.manifest import Manifest
from rag.index.protocols import ChunkReader, Embedder
from rag.index.store import StoredChunk
from rag.index.types import Passage, SearchFilter, SourceRef


@dataclass(frozen=True)
class RetrievalConfig:
    candidates: int = 30  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    duplicate_containment: float = 0.5  # word-trigram containment that makes two passages one


@dataclass
class Snapshot:
    """The committed chunks of one manifest generation: ids and filter fields by position, BM25."""

    generation: int
    chunk_ids: np.ndarray
    position: dict[str, int]
    keyword: KeywordIndex
    fields: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(self.chunk_ids)


class HybridRetriever:
    def __init__(self, store: ChunkReader, manifest: Manifest, embedder: Embedder,
                 config: RetrievalConfig = RetrievalConfig()) -> None:
        self.store, self.manifest, self.embedder, self.config = store, manifest, embedder, config
        self._snapshot: Snapshot | None = None
        self.embed_query = functools.lru_cache(maxsize=512)(self._embed_query)

    def _embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.embedder.get_query_embedding(text))

    def snapshot(self) -> Snapshot:
        """Current committed chunks; rebuilt only when an ingest has committed something new."""
        generation = self.manifest.generation()
        if self._snapshot is None or self._snapshot.generation != generation:
            if self._snapshot is not None and self.manifest.last_writer() != os.getpid():
                self.store.refresh()  # another process ingested: reload Chroma's view of the disk
            self._snapshot = self._build_snapshot(generation)
        return self._snapshot

    def _build_snapshot(self, generation: int) -> Snapshot:
        saved = open_snapshot(self.manifest, self.store)
        position = {cid: i for i, cid in enumerate(saved.chunk_ids.tolist())}
        return Snapshot(saved.generation, saved.chunk_ids, position, saved.keyword, saved.fields)

    def article_chunks(self, article_id: str) -> list[StoredChunk]:
        """An article's committed chunks in reading order, fetched by id."""
        snap = self.snapshot()
        positions = np.flatnonzero(snap.fields["article_id"] == article_id)
        return self.store.get([str(snap.chunk_ids[p]) for p in positions])

    def retrieve(self, question: str, k: int, filters: SearchFilter | None = None) -> list[Passage]:
        snap = self.snapshot()
        allowed = _filter_mask(snap, filters)
        found: dict[int, StoredChunk] = {}
        dense = self._dense(question, snap, allowed, found)
        keyword = snap.keyword.search(question, self.config.candidates, allowed)
        fused = self._fuse(dense, [pos for pos, _ in keyword])
        chunks = self._fetch(snap, [pos for pos, _, _ in fused], found)
        similarity = dict(dense)
        passages = [
            passage_from_chunk(chunks[pos], score, ranks, similarity.get(pos), fused_rank)
            for fused_rank, (pos, score, ranks) in enumerate(fused, start=1)
            if pos in chunks
        ]
        return collapse_duplicates(passages, k, self.config.duplicate_containment)

    def _fetch(self, snap: Snapshot, positions: list[int], found: dict[int, StoredChunk]) -> dict[int, StoredChunk]:
        """Texts and metadata of these positions: dense hits came with theirs, the rest are read by id."""
        missing = [p for p in positions if p not in found]
        fetched = self.store.get([str(snap.chunk_ids[p]) for p in missing])
        return found | {snap.position[c.chunk_id]: c for c in fetched}

    def _dense(self, question: str, snap: Snapshot, allowed: np.ndarray,
               found: dict[int, StoredChunk]) -> list[tuple[int, float]]:
        """(chunk position, cosine) for the nearest committed chunks that pass the filter; their
        chunks go into `found`."""
        if not snap.size:
            return []
        hits = self.store.query(
            list(self.embed_query(question)),
            n=min(snap.size, self.config.candidates * 2),
            where=None if allowed.all() else {"article_id": {"$in": sorted(set(snap.fields["article_id"][allowed]))}},
        )
        ranked = []
        for chunk, sim in hits:
            pos = snap.position.get(chunk.chunk_id)
            if pos is not None and allowed[pos]:
                found[pos] = chunk
                ranked.append((pos, sim))
        return ranked[: self.config.candidates]

    def _fuse(
        self, dense: list[tuple[int, float]], keyword: list[int]
    ) -> list[tuple[int, float, tuple[int | None, int | None]]]:
        """Weighted reciprocal-rank fusion: score = Σ w / (rrf_k + rank)."""
        cfg = self.config
        scores: dict[int, float] = {}
        ranks: dict[int, list[int | None]] = {}
        orders = ((cfg.dense_weight, [p for p, _ in dense]), (cfg.keyword_weight, keyword))
        for which, (weight, order) in enumerate(orders):
            for rank, pos in enumerate(order, start=1):
                scores[pos] = scores.get(pos, 0.0) + weight / (cfg.rrf_k + rank)
                ranks.setdefault(pos, [None, None])[which] = rank
        best = sorted(scores, key=scores.__getitem__, reverse=True)
        return [(pos, scores[pos], (ranks[pos][0], ranks[pos][1])) for pos in best]


def _filter_mask(snap: Snapshot, filters: SearchFilter | None) -> np.ndarray:
    mask = np.ones(snap.size, dtype=bool)
    if filters is None or filters.is_empty():
        return mask
    for key, wanted in (("article_id", filters.article_ids), ("outlet", filters.outlets), ("source", filters.sources)):
        if wanted:
            mask &= np.isin(snap.fields[key], list(wanted))
    dates = snap.fields["date"]
    if filters.date_from:
        mask &= np.array([bool(d) and d >= filters.date_from for d in dates], dtype=bool)
    if filters.date_to:
        mask &= np.array([bool(d) and d <= filters.date_to for d in dates], dtype=bool)
    return mask


def passage_from_chunk(
    chunk: StoredChunk,
    score: float = 0.0,
    ranks: tuple[int | None, int | None] = (None, None),
    similarity: float | None = None,
    fused_rank: int = 0,
) -> Passage:
    """A stored chunk as a `Passage`; the ranking fields stay empty for an unranked chunk."""
    meta = chunk.meta
    return Passage(
        chunk_id=chunk.chunk_id,
        text=chunk.text,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        score=score,
        outlet=str(meta.get("outlet", "")),
        date=str(meta.get("date", "")),
        byline=str(meta.get("byline", "")),
        article_id=str(meta.get("article_id", "")),
        kind=str(meta.get("kind", "body")),
        dense_rank=ranks[0],
        keyword_rank=ranks[1],
        fused_rank=fused_rank,
        dense_similarity=similarity,
    )


def collapse_duplicates(passages: list[Passage], k: int, threshold: float) -> list[Passage]:
    """Keep the best of each group of near-identical passages; the others become its sources."""
    kept: list[tuple[Passage, frozenset]] = []
    for passage in passages:
        grams = shingles(passage.text)
        twin = next((p for p, g in kept if containment(grams, g) >= threshold), None)
        if twin is None:
            if len(kept) < k:
                kept.append((passage, grams))
            continue
        if passage.source != twin.source:
            twin.duplicates.append(
                SourceRef(
                    passage.chunk_id, passage.title, passage.outlet, passage.date, passage.source,
                    passage.text, passage.article_id,
                )
            )
    return [p for p, _ in kept]
