"""Per-question scores and their summary: the step between running a system and printing a table.

Why separate from the harness: scoring is pure (gold item + answer + passages + time in, numbers
out), so it is tested without an index, and the same code scores our system and the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from eval import metrics as m
from eval.goldset import GoldItem
from rag.core.types import Answer, Passage
from rag.evidence.refusal import RefusalSignals, model_confidence

METRICS = (
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("mrr", "MRR"),
    ("key_fact_recall", "key-fact recall"),
    ("accuracy", "accuracy"),
    ("accuracy_strict", "accuracy (strict)"),
    ("citation_correctness", "citation correctness"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("false_refusal_rate", "false refusals"),
    ("answer_words_p50", "answer words p50"),
    ("first_text_p50_ms", "first text p50 ms"),
    ("prompt_tokens_p50", "model prompt tokens p50"),
    ("cached_tokens_p50", "of them from the prompt cache p50"),
    ("model_prompt_ms_p50", "model reading the prompt p50 ms"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("n", "n"),
)


@dataclass
class QuestionScore:
    """Everything the report needs about one question, with tallies kept unpooled."""

    id: str
    type: str
    answerable: bool
    abstained: bool
    ms: float
    hit_rank: int | None
    retrieval_scored: bool
    facts_found: int
    facts_total: int
    facts_squashed: int = 0  # facts found by the lenient reading (`metrics.squashed_found`)
    fact_citations: m.Tally = field(default_factory=lambda: m.Tally(0, 0))
    sentence_support: m.Tally = field(default_factory=lambda: m.Tally(0, 0))
    citation_support: m.Tally = field(default_factory=lambda: m.Tally(0, 0))
    answer: str = ""
    rewritten_question: str = ""
    words: int = 0  # answer length: key-fact recall is only comparable between answers of similar length
    first_text_ms: float | None = None  # when the first answer text streamed out
    confidence: float | None = None  # the refusal score (`rag.evidence.refusal.confidence`): prices thresholds
    mode: str = ""  # who answered: "llm", or "extractive" (by choice, or as the model's fallback)
    notice: str = ""  # what the answer told the user (a fallback, a dropped short answer)
    quotes: dict[int, str] = field(default_factory=dict)  # each marker's cited passage, for reading answers by hand
    model_usage: dict[str, float] = field(default_factory=dict)  # the server's token counts, prompt time, certainty

    def row(self) -> dict[str, Any]:
        return asdict(self)


def score_question(item: GoldItem, answer: Answer, passages: Sequence[Passage], ms: float,
                   first_text_ms: float | None = None) -> QuestionScore:
    """Score one answered question; citation metrics only count answers that did not abstain."""
    facts = item.key_facts if item.answerable else ()  # some sets list facts a refusal must not state
    stated = [] if answer.abstained else [f for f in facts if m.fact_found(f, answer.text)]
    score = QuestionScore(
        id=item.id, type=item.type, answerable=item.answerable, abstained=answer.abstained, ms=ms,
        hit_rank=m.first_hit_rank(passages, item.supporting),
        retrieval_scored=item.answerable and bool(item.supporting),
        facts_found=len(stated), facts_total=len(facts),
        facts_squashed=0 if answer.abstained else sum(m.squashed_found(f, answer.text) for f in facts),
        first_text_ms=first_text_ms, confidence=_confidence(answer), mode=answer.mode, notice=answer.notice,
        quotes={c.number: c.quote for c in answer.citations}, model_usage=answer.model_usage,
        answer=answer.text, rewritten_question=answer.rewritten_question, words=len(answer.text.split()),
    )
    if not answer.abstained:
        score.fact_citations = m.citation_correctness(facts, answer.text, answer.citations)
        score.sentence_support = m.citation_recall(answer.text, answer.citations)
        score.citation_support = m.citation_precision(answer.text, answer.citations)
    return score


def _confidence(answer: Answer) -> float | None:
    """The score refusal compared with its threshold (a model's answer: weighed with the model's
    certainty, when the server reported it); `None` when the answer carries no signals."""
    if set(answer.signals) != {f.name for f in fields(RefusalSignals)}:
        return None
    certainty = answer.model_usage.get("answer_certainty") if answer.mode == "llm" else None
    return round(model_confidence(RefusalSignals(**answer.signals), certainty), 4)


def summarize(scores: Sequence[QuestionScore]) -> dict[str, float | int | None]:
    """Pool per-question scores into the table's numbers (`None` = nothing to measure)."""
    ranks = [s.hit_rank for s in scores if s.retrieval_scored]
    recalls = [s.facts_found / s.facts_total for s in scores if s.answerable and s.facts_total]
    abstention = m.abstention_scores((s.abstained, s.answerable) for s in scores)
    return {
        "hit@1": m.hit_at(ranks, 1), "hit@3": m.hit_at(ranks, 3), "hit@5": m.hit_at(ranks, 5),
        "mrr": m.mean_reciprocal_rank(ranks),
        "key_fact_recall": sum(recalls) / len(recalls) if recalls else None,
        "accuracy": _share_all_found(scores, lenient=True),
        "accuracy_strict": _share_all_found(scores, lenient=False),
        "citation_correctness": m.ratio(_pool(s.fact_citations for s in scores)),
        "citation_precision": m.ratio(_pool(s.citation_support for s in scores)),
        "citation_recall": m.ratio(_pool(s.sentence_support for s in scores)),
        "abstention_precision": abstention.precision,
        "abstention_recall": abstention.recall,
        "false_refusal_rate": abstention.false_refusal_rate,
        "answer_words_p50": m.percentile([s.words for s in scores if not s.abstained], 50),
        "first_text_p50_ms": m.percentile([s.first_text_ms for s in scores if s.first_text_ms is not None], 50),
        "prompt_tokens_p50": _usage_p50(scores, "prompt_tokens"),
        "cached_tokens_p50": _usage_p50(scores, "cached_tokens"),
        "model_prompt_ms_p50": _usage_p50(scores, "prompt_ms"),
        "p50_ms": m.percentile([s.ms for s in scores], 50),
        "p95_ms": m.percentile([s.ms for s in scores], 95),
        "n": len(scores),
    }


def _usage_p50(scores: Sequence[QuestionScore], name: str) -> float | None:
    """The median of one `ModelUsage` figure over the answers whose server reported it."""
    return m.percentile([s.model_usage[name] for s in scores if name in s.model_usage], 50)


def _share_all_found(scores: Sequence[QuestionScore], lenient: bool) -> float | None:
    """Share of answerable questions answered (not refused) with every key fact stated."""
    answerable = [s for s in scores if s.answerable and s.facts_total]
    right = [s for s in answerable if (s.facts_squashed if lenient else s.facts_found) == s.facts_total]
    return len(right) / len(answerable) if answerable else None


def _pool(tallies: Any) -> m.Tally:
    total = m.Tally(0, 0)
    for tally in tallies:
        total += tally
    return total


def by_type(scores: Sequence[QuestionScore]) -> dict[str, dict[str, float | int | None]]:
    """The summary computed separately for each question type, in first-seen order."""
    types = list(dict.fromkeys(s.type for s in scores))
    return {t: summarize([s for s in scores if s.type == t]) for t in types}
