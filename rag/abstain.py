"""Is there an answer in what we retrieved? Decided from measured signals, not a line in a prompt.

Signals (all in [0, 1]):
    best_sentence  score of the best sentence that has the shape of an answer (0 if none has)
    dense_top      highest cosine between the question and a retrieved passage
    coverage       share of the question's content words found in the top three passages
    agreement      share of the top five passages that both dense and keyword retrieval ranked top five

The threshold on `confidence` is chosen from the precision/recall curve over both gold sets
(`python -m eval.calibrate`, plotted in docs/refusal-curve.png).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.index.types import Passage
from rag.question import QuestionProfile
from rag.text import content_terms


@dataclass(frozen=True)
class AbstainConfig:
    threshold: float = 0.38  # abstain below this: best F1 over both gold sets (docs/EVALUATION.md)


def signals(q: QuestionProfile, passages: list[Passage], best_sentence: float) -> dict[str, float]:
    top_terms = content_terms(" ".join(f"{p.title} {p.text}" for p in passages[:3]))
    both = sum(1 for p in passages[:5] if (p.dense_rank or 99) <= 5 and (p.keyword_rank or 99) <= 5)
    return {
        "best_sentence": round(best_sentence, 4),
        "dense_top": round(max((p.dense_similarity or 0.0) for p in passages) if passages else 0.0, 4),
        "coverage": round(len(q.terms & top_terms) / len(q.terms), 4) if q.terms else 0.0,
        "agreement": both / 5,
    }


def confidence(s: dict[str, float]) -> float:
    """The answer's own score, held back when the question's words are missing from the evidence."""
    return s["best_sentence"] * (0.5 + 0.5 * s["coverage"])


def should_abstain(s: dict[str, float], cfg: AbstainConfig = AbstainConfig()) -> bool:
    return confidence(s) < cfg.threshold
