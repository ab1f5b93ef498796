"""The offline system's scores on the sample gold set stay above floors set from measured runs.

Floors sit a little under the values measured when they were set (see docs/EVALUATION.md), so a
change that makes answers worse fails here rather than in a user's hands.
"""

from __future__ import annotations

from eval.goldset import load_set
from eval.harness import run_system
from eval.scoring import summarize

FLOORS = {
    "hit@5": 0.95,
    "mrr": 0.88,
    "key_fact_recall": 0.72,
    "citation_correctness": 0.90,
    "citation_precision": 0.82,
    "citation_recall": 0.82,
    "abstention_precision": 0.70,
    "abstention_recall": 0.80,
}
CEILINGS = {"false_refusal_rate": 0.12}


def test_sample_gold_set_scores_stay_above_floors(sample_rag) -> None:
    summary = summarize(run_system(sample_rag, load_set("sample").items, k=5))
    low = {k: summary[k] for k, floor in FLOORS.items() if (summary[k] or 0.0) < floor}
    high = {k: summary[k] for k, ceiling in CEILINGS.items() if (summary[k] or 0.0) > ceiling}
    assert not low and not high, f"below floor: {low}; above ceiling: {high}; all: {summary}"
