"""Is there an answer in what we retrieved? The one place that decides refusal, for both the
extractive reader and the model path, from measured signals rather than a line in a prompt.

Signals (all in [0, 1]):
    best_sentence  score of the best sentence that has the shape of an answer (0 if none has),
                   after the answer-type reading (an entity of the type asked for raises it)
    dense_top      highest cosine between the question and a retrieved passage
    coverage       share of the question's content words found in the top three passages
    best_coverage  share of the question's content words in the best sentence and the one before it
    agreement      share of the top five passages that both dense and keyword retrieval ranked top five
    typed          1 when the question asks for an entity type and the best sentence holds one, else 0
                   (1 when no type is asked for)

The question's own date ("(Question date: 2023-01-26.)") and relative times ("this week") are not
content words (rag/question.py), so they cannot lower coverage. The threshold on `confidence` is
chosen on the tune half of RealTime QA 2024 (`python -m eval.calibrate --set realtimeqa`), and
checked on its test half and on the sample gold set (/work/notes/reader.md, docs/EVALUATION.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.answers import NOT_COVERED
from rag.index.types import Citation, Passage
from rag.question import QuestionProfile
from rag.text import content_terms


@dataclass(frozen=True)
class AbstainConfig:
    threshold: float = 0.44  # refuse below this confidence: best Youden index on the RealTime QA tune half


def signals(q: QuestionProfile, passages: list[Passage], best_sentence: float, best_text: str = "",
            typed: bool = True) -> dict[str, float]:
    top_terms = content_terms(" ".join(f"{p.title} {p.text}" for p in passages[:3]))
    both = sum(1 for p in passages[:5] if (p.dense_rank or 99) <= 5 and (p.keyword_rank or 99) <= 5)
    share = (lambda terms: round(len(q.terms & terms) / len(q.terms), 4) if q.terms else 0.0)
    return {
        "best_sentence": round(best_sentence, 4),
        "dense_top": round(max((p.dense_similarity or 0.0) for p in passages) if passages else 0.0, 4),
        "coverage": share(top_terms),
        "best_coverage": share(content_terms(best_text)),
        "agreement": both / 5,
        "typed": 1.0 if typed else 0.0,
    }


def confidence(s: dict[str, float]) -> float:
    """The answer's own score, held back when the question's words are missing from the evidence."""
    return s["best_sentence"] * (0.5 + 0.5 * s["coverage"])


def should_abstain(s: dict[str, float], cfg: AbstainConfig = AbstainConfig(), kind: str = "what") -> bool:
    """Refuse when the evidence is weak. A summary request is answered from whatever was found."""
    if kind == "summary":
        return not s["dense_top"]
    return confidence(s) < cfg.threshold


def generated_refuses(text: str, citations: list[Citation]) -> bool:
    """A model's answer counts as a refusal when it cites nothing or says the corpus does not say."""
    return not citations or NOT_COVERED.lower().rstrip(".") in text.lower()
