"""Running a system under test over gold questions: ingest a set, ask each question, score it.

Why its own module: the gold-set harness (`eval.harness`) and the RealTime QA runner (`eval.rtqa`)
both drive systems this way, and neither should import the other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from eval.goldset import GoldItem, GoldSet
from eval.scoring import QuestionScore, score_question
from rag.core.types import Answer, Passage

History = list[dict[str, str]]


class System(Protocol):
    """What the harness needs from a system under test: ours (`Rag`) or the baseline."""

    def ask(self, question: str, history: History | None = None) -> Answer: ...

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]: ...


def build_rag(gold: GoldSet) -> tuple[Any, str]:
    """Ingest the set's corpus into `<RAG_INDEX_DIR>/eval-<set>` and return a `Rag` over it."""
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.core.settings import load_settings

    settings = load_settings(index_dir=load_settings().index_dir / f"eval-{gold.name}")
    report = ingest_path(gold.corpus_dir, settings, progress=False)
    for name, reason in report.errors:
        print(f"  {name}: {reason}", file=sys.stderr)
    print(f"ingest {gold.corpus_dir} -> {settings.index_dir}: {report.summary()}")
    rag = Rag(settings)
    rag.warm_up()  # as a server does: loading and the NER helper's start are not question latency
    return rag, rag.mode_label()


def run_system(system: System, items: Sequence[GoldItem], k: int) -> list[QuestionScore]:
    """Ask every question (follow-ups after their earlier turns) and score it."""
    if items:
        system.retrieve(items[0].question, k)  # warm-up: model loading is not question latency
    return [run_item(system, item, k) for item in items]


def run_item(system: System, item: GoldItem, k: int) -> QuestionScore:
    """Earlier turns are asked for real; only the last question is timed and scored.

    Retrieval is scored on the question the system actually searched with (`rewritten_question`),
    so a follow-up such as "What did she say?" is judged after the system resolved "she".
    """
    history: History = []
    for turn in item.history:
        earlier = system.ask(turn, history or None)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": earlier.text}]
    started = time.perf_counter()
    answer = system.ask(item.question, history or None)
    ms = (time.perf_counter() - started) * 1000
    passages = system.retrieve(answer.rewritten_question or item.question, k)
    return score_question(item, answer, passages, round(ms, 1))


def run_meta(gold: GoldSet, k: int, mode: str) -> dict[str, Any]:
    return {
        "set": gold.name, "gold": str(gold.gold_path), "corpus": str(gold.corpus_dir), "k": k,
        "mode": mode, "questions": len(gold.items),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
