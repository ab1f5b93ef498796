"""Refusal, decided in one place for the extractive reader and the model path.

Three things refuse, all here:
- **the evidence is weak**: `RefusalSignals` measured on what was retrieved and on the best answer
  sentence, combined by `confidence` and held against `AbstainConfig.threshold`;
- **no sentence can answer**: `misses_figures` rules out sentences that lack the year a question
  names (the 2020 race is not answered by 2019's), and the reader refuses when none is left;
- **the model says so**: `model_declines` reads a generated reply that cites nothing or says
  `NOT_COVERED`, and `model_refuses` a choice of sentences that says so or holds no answer. That
  reply is one signal, not the last word: where the reader's own evidence is strong
  (`reader_overrules`), the reader's answer stands instead of a refusal, because a 1.5B model
  says "not covered" of many questions its sentences answer (docs/EVALUATION.md, twelfth round).
- **the model is unsure**: the local model's probability of its own short answer (`certainty`,
  from the server's token log-probabilities) moves the evidence score up or down before it meets
  `model_threshold` (`model_confidence`). The local model almost never writes the refusal line
  (none of 110 replies on the tune half), so its doubt shows in its token probabilities, not its
  words (docs/EVALUATION.md, sixteenth round).

The question's own date ("(Question date: 2023-01-26.)") and relative times ("this week") are not
content words (`rag.query.profile`), so they cannot lower coverage. The threshold is chosen on the
tune half of RealTime QA 2024 (`python -m eval.calibrate --set realtimeqa`) and checked on its test
half and the sample gold set (docs/EVALUATION.md).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from rag.core.text import content_terms
from rag.core.types import Citation, Passage
from rag.query.profile import QuestionKind, QuestionProfile

NOT_COVERED = "The corpus does not say."


@dataclass(frozen=True)
class AbstainConfig:
    threshold: float = 0.44  # refuse below this confidence: best Youden index on the RealTime QA tune half
    model_threshold: float = 0.44  # the same for a model's answer, which may be trusted on weaker evidence
    overrule_threshold: float = 0.66  # the reader's answer replaces a model's refusal from this confidence up
    # A model's certainty moves its confidence by `certainty_weight * ln(certainty / neutral_certainty)`:
    # up to +0.22 for a sure answer, down for one less likely than 1 in 3. Both chosen together on
    # the RealTime QA tune half with the local model (docs/EVALUATION.md, sixteenth round).
    certainty_weight: float = 0.2
    neutral_certainty: float = 1 / 3


@dataclass(frozen=True)
class RefusalSignals:
    """How strongly the evidence answers the question; every field is in [0, 1]."""

    best_sentence: float  # score of the best answer-shaped sentence, after the answer-type reading
    dense_top: float  # highest cosine between the question and a retrieved passage
    coverage: float  # share of the question's content words in the top three passages
    best_coverage: float  # share of them in the best sentence and the one before it
    agreement: float  # share of the top five passages that dense and keyword retrieval both ranked top five
    typed: float  # 1 when no entity type is asked for or the best sentence holds one, else 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def measure(q: QuestionProfile, passages: list[Passage], best_sentence: float, best_text: str = "",
            typed: bool = True) -> RefusalSignals:
    """The signals for one question, its retrieved passages and its best sentence (score and text)."""
    top_terms = content_terms(" ".join(f"{p.title} {p.text}" for p in passages[:3]))
    both = sum(1 for p in passages[:5] if (p.dense_rank or 99) <= 5 and (p.keyword_rank or 99) <= 5)

    def share(terms: set[str]) -> float:
        return round(len(q.terms & terms) / len(q.terms), 4) if q.terms else 0.0

    return RefusalSignals(
        best_sentence=round(best_sentence, 4),
        dense_top=round(max((p.dense_similarity or 0.0) for p in passages) if passages else 0.0, 4),
        coverage=share(top_terms),
        best_coverage=share(content_terms(best_text)),
        agreement=both / 5,
        typed=1.0 if typed else 0.0,
    )


def confidence(s: RefusalSignals) -> float:
    """The answer's own score, held back when the question's words are missing from the evidence."""
    return s.best_sentence * (0.5 + 0.5 * s.coverage)


def should_abstain(s: RefusalSignals, cfg: AbstainConfig = AbstainConfig(), kind: QuestionKind = "what") -> bool:
    """Refuse when the evidence is weak. A summary request is answered from whatever was found."""
    if kind == "summary":
        return not s.dense_top
    return confidence(s) < cfg.threshold


def misses_figures(asked: frozenset[str], found: frozenset[str], q: QuestionProfile) -> bool:
    """Are some of the figures `asked` (years, counts) missing from those `found` near a sentence?
    A list question or one with several figures ("the 2018 and 2022 elections") is answered
    sentence by sentence, so one of them is enough."""
    missing = asked - found
    lenient = q.wants_list or len(q.numbers) > 1
    return bool(missing) and not (lenient and missing != asked)


def model_confidence(evidence: RefusalSignals, certainty: float | None, cfg: AbstainConfig = AbstainConfig()) -> float:
    """The evidence's confidence, moved by the model's `certainty` of its short answer (the least
    probability among its tokens), when the server reported one."""
    score = confidence(evidence)
    if certainty is None:
        return score
    return score + cfg.certainty_weight * math.log(max(certainty, 1e-6) / cfg.neutral_certainty)


def model_refuses(short: str, grounded: bool, evidence: RefusalSignals, cfg: AbstainConfig = AbstainConfig(),
                  certainty: float | None = None) -> bool:
    """Refuse a model's choice when it says the corpus does not cover the question, when nothing
    it chose holds its answer (`grounded`), or when the evidence, weighed with the model's
    certainty, is below `cfg.model_threshold`."""
    return says_not_covered(short) or not grounded or model_confidence(evidence, certainty, cfg) < cfg.model_threshold


def reader_overrules(evidence: RefusalSignals, cfg: AbstainConfig = AbstainConfig()) -> bool:
    """Does the reader's answer stand where the model declined? Only on evidence of at least
    `cfg.overrule_threshold` (chosen on the RealTime QA tune half)."""
    return confidence(evidence) >= cfg.overrule_threshold


def says_not_covered(text: str) -> bool:
    """Does `text` carry the fixed "not in the articles" reply (a model may wrap it in words)?"""
    return NOT_COVERED.lower().rstrip(".") in text.lower()


def may_be_not_covered(partial: str) -> bool:
    """Could a reply still streaming be the "not in the articles" reply? Then it is held back,
    so a reader never sees the start of a refusal as if it were an answer."""
    start = " ".join(partial.lower().split())
    return says_not_covered(partial) or NOT_COVERED.lower().startswith(start)


def model_declines(text: str, citations: list[Citation]) -> bool:
    """A model's answer counts as a refusal when it cites nothing or says the corpus does not say."""
    return not citations or says_not_covered(text)
