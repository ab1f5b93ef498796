"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by weighted reciprocal rank.

llama-index's QueryFusionRetriever does RRF too, but it neither weights the retrievers in RRF
mode nor reports each retriever's rank, which the chat page shows and the eval tunes; the fusion
itself is ten lines, so it lives here. Near-duplicate passages (one wire story in several
outlets) collapse into one hit that keeps every source. Given the day a question is asked
(`as_of`), chunks are regrouped into articles and articles from the question's time preferred
(`rag.retrieval.ranking`, `rag.query.timeframe`).

Nothing here holds the collection: the keyword side (BM25 over chunks and over whole articles,
chunk ids and filter fields by position) is the generation's saved, memory-mapped snapshot
(`rag.index.keyword_files`), read through `rag.index.committed` (beside the manifest on one
machine, as published to a Chroma server otherwise), dense hits come from Chroma with their
texts, and the texts of keyword-only hits are fetched by id.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from rag.core.protocols import ChunkReader, Embedder
from rag.core.types import Passage, SearchFilter, SourceRef, StoredChunk
from rag.index.committed import CommittedIndex
from rag.index.keyword import KeywordIndex
from rag.index.keyword_files import KeywordSnapshot
from rag.query.timeframe import preferred_window
from rag.retrieval.dedupe import containment, shingles
from rag.retrieval.ranking import article_scores, by_article, with_time_prior

Fused = tuple[int, float, tuple[int | None, int | None]]  # chunk position, fused score, (dense, BM25) rank


@dataclass(frozen=True)
class RetrievalConfig:
    candidates: int = 30  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    duplicate_containment: float = 0.5  # word-trigram containment that makes two passages one
    by_article: bool = True  # with `as_of`: rank articles from their best chunks, then return their passages
    article_rrf_k: int = 10  # RRF k of the chunk fusion under article ranking (RealTime QA tune half)
    article_depth: int = 3  # chunks that count towards an article's score
    article_decay: float = 0.5  # weight of each further chunk: s1 + d*s2 + d²*s3
    per_article: int = 2  # passages of one article before the next article's, per round
    time_weight: float = 1.0  # article score x (1 + weight) inside the question's time window
    time_width_days: float = 7.0  # ... falling off as exp(-days outside / width)
    recent_days: int = 7  # window of a question without time words, up to `as_of`
    article_keyword_weight: float = 2.0  # BM25 over whole articles, fused into the article score
    article_candidates: int = 30


@dataclass
class Snapshot:
    """One generation's committed chunks: ids and filter fields by position, and BM25."""

    saved: KeywordSnapshot  # what it was made from
    chunk_ids: np.ndarray
    position: dict[str, int]
    keyword: KeywordIndex
    fields: dict[str, np.ndarray]
    articles: list[str]  # article ids; an article's chunks are contiguous positions
    article_starts: np.ndarray  # first position of each article in `articles`
    spans: dict[str, tuple[int, int]]  # article id -> [start, end) positions
    article_keyword: KeywordIndex  # BM25 over each article's title and whole text, rows as `articles`

    @property
    def size(self) -> int:
        return len(self.chunk_ids)


class HybridRetriever:
    def __init__(self, store: ChunkReader, committed: CommittedIndex, embedder: Embedder,
                 config: RetrievalConfig = RetrievalConfig()) -> None:
        self.store, self.committed, self.embedder, self.config = store, committed, embedder, config
        self._snapshot: Snapshot | None = None
        self.embed_query = functools.lru_cache(maxsize=512)(self._embed_query)

    def _embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.embedder.get_query_embedding(text))

    def snapshot(self) -> Snapshot:
        """Current committed chunks; rebuilt only when an ingest has committed something new."""
        saved = self.committed.keyword_snapshot()
        if self._snapshot is None or self._snapshot.saved is not saved:
            self._snapshot = _positions(saved)
        return self._snapshot

    def article_chunks(self, article_id: str, limit: int | None = None) -> list[StoredChunk]:
        """An article's committed chunks in reading order (the first `limit`), fetched by id."""
        return self.articles_chunks([article_id], limit)[0]

    def articles_chunks(self, article_ids: Sequence[str], limit: int | None = None) -> list[list[StoredChunk]]:
        """`article_chunks` for each of several articles, in one store read (one round trip to a server)."""
        snap = self.snapshot()
        wanted: list[list[str]] = []
        for article_id in article_ids:
            start, end = snap.spans.get(article_id, (0, 0))
            end = end if limit is None else min(end, start + limit)
            wanted.append([str(cid) for cid in snap.chunk_ids[start:end]])
        found = {c.chunk_id: c for c in self.store.get([cid for ids in wanted for cid in ids])}
        return [[found[cid] for cid in ids if cid in found] for ids in wanted]

    def retrieve(self, question: str, k: int, filters: SearchFilter | None = None,
                 as_of: date | None = None) -> list[Passage]:
        """Top-`k` passages in chunk order; with `as_of`, best article first, and articles from the
        question's time preferred (never required).

        Article ranking comes with `as_of` only: it wins on RealTime QA (long, many-article news)
        but costs hit@1 on the newswire gold set, and a call without a date keeps the old ranking.
        """
        snap = self.snapshot()
        allowed = _filter_mask(snap, filters)
        found: dict[int, StoredChunk] = {}
        dense = self._dense(question, snap, allowed, found)
        keyword = snap.keyword.search(question, self.config.candidates, allowed)
        articles = self.config.by_article and as_of is not None
        fused = self._fuse(dense, [pos for pos, _ in keyword],
                           self.config.article_rrf_k if articles else self.config.rrf_k)
        similarity = dict(dense)
        if articles:
            fused = self._by_article(question, snap, fused, allowed, as_of)
        chunks = self._fetch(snap, [pos for pos, _, _ in fused], found)
        passages = [
            passage_from_chunk(chunks[pos], score, ranks, similarity.get(pos), fused_rank)
            for fused_rank, (pos, score, ranks) in enumerate(fused, start=1)
            if pos in chunks
        ]
        return collapse_duplicates(passages, k, self.config.duplicate_containment)

    def _by_article(self, question: str, snap: Snapshot, fused: list[Fused], allowed: np.ndarray,
                    as_of: date | None) -> list[Fused]:
        """The fused chunks regrouped best article first (see `rag.retrieval.ranking`).

        An article's score is the decaying sum of its best chunks' fused scores plus its rank in
        BM25 over whole articles, times the time prior. An article found only by the whole-article
        BM25 joins with its best-matching chunk.
        """
        cfg = self.config
        whole = self._whole_articles(question, snap, allowed)
        fused = fused + self._lead_chunks(question, snap, [a for a, _ in whole], {p for p, _, _ in fused})
        if not fused:
            return fused
        hits = [(i, score) for i, (_, score, _) in enumerate(fused)]
        article_of = [str(snap.fields["article_id"][pos]) for pos, _, _ in fused]
        scores = article_scores(hits, article_of, cfg.article_depth, cfg.article_decay)
        for rank, (article, _) in enumerate(whole, start=1):
            scores[article] = scores.get(article, 0.0) + cfg.article_keyword_weight / (cfg.article_rrf_k + rank)
        window = preferred_window(question, as_of, cfg.recent_days)
        dates = {a: str(snap.fields["date"][pos]) for a, (pos, _, _) in zip(article_of, fused)}
        scores = with_time_prior(scores, dates, window, cfg.time_weight, cfg.time_width_days)
        return [fused[i] for i in by_article(hits, article_of, scores, cfg.per_article)]

    def _whole_articles(self, question: str, snap: Snapshot, allowed: np.ndarray) -> list[tuple[str, float]]:
        """(article id, BM25 score) over whole articles that have an allowed chunk, best first."""
        if self.config.article_keyword_weight <= 0 or not snap.articles:
            return []
        mask = np.logical_or.reduceat(allowed, snap.article_starts)  # per article: any chunk allowed
        hits = snap.article_keyword.search(question, self.config.article_candidates, mask)
        return [(snap.articles[i], score) for i, score in hits]

    def _lead_chunks(self, question: str, snap: Snapshot, articles: list[str], have: set[int]) -> list[Fused]:
        """The best BM25 chunk of each article that has none among the fused candidates yet."""
        present = {str(snap.fields["article_id"][p]) for p in have}
        missing = [a for a in articles if a not in present]
        if not missing:
            return []
        mask = np.zeros(snap.size, dtype=bool)
        for article in missing:
            start, end = snap.spans[article]
            mask[start:end] = True
        best: dict[str, int] = {}
        for pos, _ in snap.keyword.search(question, 3 * len(missing) + 10, mask):
            best.setdefault(str(snap.fields["article_id"][pos]), pos)
        return [(best[a], 0.0, (None, None)) for a in missing if a in best]

    def _fetch(self, snap: Snapshot, positions: list[int], found: dict[int, StoredChunk]) -> dict[int, StoredChunk]:
        """Texts and metadata of these positions: dense hits came with theirs, the rest are read by id."""
        missing = [p for p in positions if p not in found]
        fetched = self.store.get([str(snap.chunk_ids[p]) for p in missing])
        return found | {snap.position[c.chunk_id]: c for c in fetched}

    def _dense(self, question: str, snap: Snapshot, allowed: np.ndarray,
               found: dict[int, StoredChunk]) -> list[tuple[int, float]]:
        """(chunk position, cosine) for the nearest committed chunks that pass the filter; their
        chunks go into `found`."""
        if not snap.size or not allowed.any():  # a filter nothing passes: Chroma refuses an empty `$in`
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

    def _fuse(self, dense: list[tuple[int, float]], keyword: list[int], rrf_k: int) -> list[Fused]:
        """Weighted reciprocal-rank fusion: score = Σ w / (rrf_k + rank)."""
        cfg = self.config
        scores: dict[int, float] = {}
        ranks: dict[int, list[int | None]] = {}
        orders = ((cfg.dense_weight, [p for p, _ in dense]), (cfg.keyword_weight, keyword))
        for which, (weight, order) in enumerate(orders):
            for rank, pos in enumerate(order, start=1):
                scores[pos] = scores.get(pos, 0.0) + weight / (rrf_k + rank)
                ranks.setdefault(pos, [None, None])[which] = rank
        best = sorted(scores, key=scores.__getitem__, reverse=True)
        return [(pos, scores[pos], (ranks[pos][0], ranks[pos][1])) for pos in best]


def _positions(saved: KeywordSnapshot) -> Snapshot:
    position = {cid: i for i, cid in enumerate(saved.chunk_ids.tolist())}
    spans = [saved.article_span(i) for i in range(len(saved.article_starts))]
    articles = [str(saved.fields["article_id"][start]) for start, _ in spans]
    return Snapshot(saved, saved.chunk_ids, position, saved.keyword, saved.fields, articles,
                    saved.article_starts, dict(zip(articles, spans)), saved.article_keyword)


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
