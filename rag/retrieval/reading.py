"""Which chunks a reader reads, beyond the passages retrieval returned.

Retrieval ranks the right article first far more often than it ranks the chunk holding the answer
among the few it returns (docs/EVALUATION.md, RealTime QA), so the reader reads the best articles
whole; a summary reads each article's opening chunk, where news puts the gist.
"""

from __future__ import annotations

from rag.core.types import Passage
from rag.retrieval.hybrid import HybridRetriever, passage_from_chunk


def whole_articles_first(retriever: HybridRetriever, passages: list[Passage], articles: int,
                         chunks: int) -> list[Passage]:
    """The best `articles` retrieved articles whole (in reading order, up to `chunks` chunks each),
    then the other retrieved passages."""
    best = list(dict.fromkeys(p.article_id for p in passages if p.article_id))[:articles]
    retrieved = {p.chunk_id: p for p in passages}
    reading = []
    for article in retriever.articles_chunks(best, limit=chunks):
        reading += [retrieved.get(c.chunk_id) or passage_from_chunk(c) for c in article]
    seen = {p.chunk_id for p in reading}
    return reading + [p for p in passages if p.chunk_id not in seen]


def article_leads(retriever: HybridRetriever, passages: list[Passage], articles: int = 3) -> list[Passage]:
    """The opening chunk of each of the best `articles` retrieved articles."""
    best: dict[str, Passage] = {}
    for passage in passages:
        best.setdefault(passage.article_key, passage)
    chosen = list(best.values())[:articles]
    with_id = [p.article_id for p in chosen if p.article_id]  # chunks of older indexes may have none
    firsts = dict(zip(with_id, retriever.articles_chunks(with_id, limit=1)))
    return [passage_from_chunk(firsts[p.article_id][0]) if firsts.get(p.article_id) else p for p in chosen]
