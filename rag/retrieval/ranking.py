"""From ranked chunks to ranked articles: an article's score from its best chunks, and a time prior.

Why: a long news article is dozens of chunks. Ranking chunks alone lets one article's many
middling chunks crowd out another article whose best chunk is the answer, and ignores that an
article matching the question in several places is more likely the one asked about. Scoring the
article from its few best chunks (a decaying sum) and then returning its passages together, best
article first, ranks what a reader cares about: the story.

The time prior is a soft preference for articles published in the question's window
(`rag.query.timeframe`): a multiplicative bonus `1 + weight * exp(-gap / width)` on the article score,
where `gap` is the days between the article's date and the window. It never removes anything,
undated articles get no bonus, and articles far from the window get a bonus close to zero, so a
reference date far from every article (the product default, today, on an old archive) leaves the
ranking as it was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from rag.query.timeframe import TimeWindow


def article_scores(hits: Sequence[tuple[int, float]], article_of: Sequence[str], depth: int,
                   decay: float) -> dict[str, float]:
    """{article: s1 + decay * s2 + decay² * s3 ...} over its `depth` best chunk scores.

    `hits` are (chunk position, score) best first; `decay` 0 is the best chunk alone.
    """
    seen: dict[str, int] = {}
    scores: dict[str, float] = {}
    for pos, score in hits:
        article = article_of[pos]
        n = seen.get(article, 0)
        if n < depth:
            scores[article] = scores.get(article, 0.0) + score * decay**n
            seen[article] = n + 1
    return scores


def time_prior(published: str, window: TimeWindow | None, width_days: float) -> float:
    """1 inside the window, falling off as exp(-gap / width) outside; 0 undated or without a window."""
    if window is None or width_days <= 0:
        return 0.0
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return 0.0
    return math.exp(-window.gap_days(day) / width_days)


def with_time_prior(scores: dict[str, float], dates: dict[str, str], window: TimeWindow | None,
                    weight: float, width_days: float) -> dict[str, float]:
    """Article scores times `1 + weight * time_prior`: only ever a bonus, never a filter."""
    if window is None or weight <= 0:
        return scores
    return {a: s * (1.0 + weight * time_prior(dates.get(a, ""), window, width_days)) for a, s in scores.items()}


def by_article(hits: Sequence[tuple[int, float]], article_of: Sequence[str], scores: dict[str, float],
               per_article: int) -> list[int]:
    """Chunk positions, best article first, at most `per_article` of its chunks in each round.

    Round one gives every article its `per_article` best chunks in article order; later rounds
    add the rest the same way, so the head of the list spans several articles.
    """
    chunks: dict[str, list[int]] = {}
    for pos, _ in hits:
        chunks.setdefault(article_of[pos], []).append(pos)
    ordered = sorted(chunks, key=lambda a: scores.get(a, 0.0), reverse=True)
    out: list[int] = []
    step = max(per_article, 1)
    for start in range(0, max(len(c) for c in chunks.values()) if chunks else 0, step):
        for article in ordered:
            out.extend(chunks[article][start:start + step])
    return out
