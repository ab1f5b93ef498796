"""`python -m eval` / `rag eval`: score the system (and optionally a plain baseline) on a gold set.

Why: every claim about quality in the README should come from one command that anyone can rerun.
The set's corpus is ingested into its own index (`<RAG_INDEX_DIR>/eval-<set>`, incremental, so a
rerun only embeds what changed), each question goes through `Rag.ask` (timed) and `Rag.retrieve`,
and the numbers are printed and written to `report-<set>.json` and `report-<set>.md`.

    python -m eval [--set sample|NAME] [--k 5] [--out eval/reports] [--baseline]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from eval.goldset import EVAL_DIR, GoldItem, GoldSet, available_sets, load_set
from eval.report import format_table, write_reports
from eval.scoring import QuestionScore, score_question, summarize
from rag.index.types import Answer, Passage

History = list[dict[str, str]]


class System(Protocol):
    """What the harness needs from a system under test: ours (`Rag`) or the baseline."""

    def ask(self, question: str, history: History | None = None) -> Answer: ...

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]: ...


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.from_feedback:
        return _feedback_to_candidates(args.from_feedback, args.candidates_out)
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("ANONYMIZED_TELEMETRY", "False")):
        os.environ.setdefault(name, value)
    if args.set == "realtimeqa":
        from eval.rtqa import run

        return run(args)
    gold = load_set(args.set)
    rag, mode = build_rag(gold)
    systems = {"rag": run_system(rag, gold.items, args.k)}
    if args.baseline:
        from eval.baseline import Baseline

        systems["baseline"] = run_system(Baseline(gold.corpus_dir), gold.items, args.k)
    summaries = {name: summarize(scores) for name, scores in systems.items()}
    print(format_table(summaries))
    meta = run_meta(gold, args.k, mode)
    for path in write_reports(args.out, gold.name, meta, systems):
        print(f"wrote {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="sample",
                        help=f"gold set to run (found: {', '.join(available_sets())}; realtimeqa with --source)")
    parser.add_argument("--k", type=int, default=5, help="passages retrieved per question for hit@k/MRR")
    parser.add_argument("--out", type=Path, default=EVAL_DIR / "reports", help="folder for report-<set>.json/.md")
    parser.add_argument("--baseline", action="store_true", help="also score the plain llama-index pipeline")
    parser.add_argument("--source", type=Path, help="--set realtimeqa: local copy of realtimeqa/realtimeqa_public")
    parser.add_argument("--date-in-question", action="store_true",
                        help="--set realtimeqa: append '(Question date: YYYY-MM-DD.)' to each question")
    parser.add_argument("--from-feedback", type=Path, metavar="JSONL",
                        help="instead of scoring, turn the chat page's feedback votes into gold candidates")
    parser.add_argument("--candidates-out", type=Path, default=EVAL_DIR / "reports" / "gold-candidates.jsonl",
                        help="where --from-feedback writes them")
    return parser


def _feedback_to_candidates(feedback: Path, out: Path) -> int:
    from eval.feedback import gold_candidates, read_votes, write_candidates

    try:
        votes = read_votes(feedback)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    candidates = gold_candidates(votes)
    write_candidates(candidates, out)
    print(f"{len(votes)} votes -> {len(candidates)} gold candidates in {out}: "
          "fill in key_facts, then move lines into a gold set")
    return 0


def build_rag(gold: GoldSet) -> tuple[Any, str]:
    """Ingest the set's corpus into `<RAG_INDEX_DIR>/eval-<set>` and return a `Rag` over it."""
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.index.settings import load_settings

    settings = load_settings(index_dir=load_settings().index_dir / f"eval-{gold.name}")
    report = ingest_path(gold.corpus_dir, settings, progress=False)
    for name, reason in report.errors:
        print(f"  {name}: {reason}", file=sys.stderr)
    print(f"ingest {gold.corpus_dir} -> {settings.index_dir}: {report.summary()}")
    rag = Rag(settings)
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
