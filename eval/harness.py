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
from pathlib import Path

from eval.goldset import EVAL_DIR, available_sets, load_set
from eval.report import format_table, write_reports
from eval.runner import Mode, build_rag, modes, run_meta, run_system
from eval.scoring import summarize


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
    rag, mode = build_rag(gold, args.model_threshold, args.model_sentences)
    systems = {name: run_system(Mode(rag, use_llm), gold.items, args.k)
               for name, use_llm in modes(rag, args.mode).items()}
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
    parser.add_argument("--mode", choices=("both", "extractive", "llm"), default="both",
                        help="answer modes scored side by side (both: extractive, and the model if configured)")
    parser.add_argument("--source", type=Path, help="--set realtimeqa: local copy of realtimeqa/realtimeqa_public")
    parser.add_argument("--model-threshold", type=float, default=None, metavar="X",
                        help="refusal threshold for the model's answers (0 records them all, to price thresholds "
                             "afterwards with `python -m eval.threshold_sweep REPORT`)")
    parser.add_argument("--model-sentences", type=int, default=None, metavar="N",
                        help="how many of the reader's best sentences the model chooses from (default 6)")
    parser.add_argument("--half", choices=("tune", "test"), help="--set realtimeqa: only this half")
    parser.add_argument("--per-half", type=int, default=0, metavar="N",
                        help="--set realtimeqa: only the first N questions of each half")
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
