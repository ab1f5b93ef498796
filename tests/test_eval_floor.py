"""The offline system's scores on both gold sets stay above floors set from measured runs.

Floors sit a little under the values measured when they were set (see docs/EVALUATION.md), so a
change that makes answers worse fails here rather than in a user's hands.
"""

from __future__ import annotations

from eval.goldset import load_set
from eval.runner import run_system
from eval.scoring import summarize

FLOORS = {
    "hit@5": 0.95,
    "mrr": 0.88,
    "key_fact_recall": 0.72,
    "citation_correctness": 0.90,
    "citation_precision": 0.82,
    "citation_recall": 0.82,
    "abstention_precision": 0.60,  # 0.70 until 4 Dec 2026, then 0.65: see below
    "abstention_recall": 0.75,  # 0.80 until 2 Dec 2026: see NEWSWIRE_FLOORS
}
CEILINGS = {"false_refusal_rate": 0.12}


# Measured 2026-11-24: hit@5 1.00, MRR .97, key-fact recall .83, citation correctness .98,
# precision .92, recall .96, abstention precision .83, recall .91, false refusals .03.
NEWSWIRE_FLOORS = {
    "hit@5": 0.95,
    "mrr": 0.92,
    "key_fact_recall": 0.76,
    "citation_correctness": 0.92,
    "citation_precision": 0.85,
    "citation_recall": 0.88,
    "abstention_precision": 0.65,
    "abstention_recall": 0.80,
}
# 2 Dec 2026: abstention floors moved (sample recall 0.80 -> 0.75, newswire precision 0.70 -> 0.65) when
# the reader began reading the two best articles whole, voting over answers, and refusing below 0.46
# (RealTime QA tune half: accuracy 0.38 -> 0.45, unanswerable refused 0.67 -> 0.78; test half
# accuracy 0.37 -> 0.38). Measured then: sample abstention recall 0.79 (11 of 14), newswire
# abstention precision 0.67, false refusals 0.08; docs/EVALUATION.md.
# 4 Dec 2026: sample abstention precision 0.70 -> 0.65 when the reader took the sentence vectors
# pooled at ingest and refusal was recalibrated to 0.44 on the RealTime QA tune half (answer p50
# 338 -> 145 ms; test half false refusals 0.17 -> 0.09, accuracy 0.42 -> 0.43; tune accuracy
# 0.51 -> 0.49). Measured then: sample precision 0.69 (11 refused of 14 unanswerable, 5 false
# refusals of 59), false refusals 0.08; newswire precision 0.75, recall 0.82; docs/EVALUATION.md.
# 4 Dec 2026 (session 15): sample abstention precision 0.65 -> 0.60 so that the floor holds for both
# back ends `auto` picks. Same code and questions: onnxruntime int8 (CPUs without bf16) 0.69, 11 of
# 16 refusals right; OpenVINO bf16 (CPUs with bf16) 0.65, 11 of 17, because "How did Jen Daskal sum
# up the first meeting?" falls just under the threshold (answered, but without its fact, by int8).
# Five other questions move one rank or one fact between the two; no change of code is involved.
NEWSWIRE_CEILINGS = {"false_refusal_rate": 0.08}


def test_sample_gold_set_scores_stay_above_floors(sample_rag) -> None:
    _assert_within(summarize(run_system(sample_rag, load_set("sample").items, k=5)), FLOORS, CEILINGS)


def test_newswire_gold_set_scores_stay_above_floors(newswire_rag) -> None:
    summary = summarize(run_system(newswire_rag, load_set("newswire").items, k=5))
    _assert_within(summary, NEWSWIRE_FLOORS, NEWSWIRE_CEILINGS)


def _assert_within(summary: dict, floors: dict[str, float], ceilings: dict[str, float]) -> None:
    low = {k: summary[k] for k, floor in floors.items() if (summary[k] or 0.0) < floor}
    high = {k: summary[k] for k, ceiling in ceilings.items() if (summary[k] or 0.0) > ceiling}
    assert not low and not high, f"below floor: {low}; above ceiling: {high}; all: {summary}"
