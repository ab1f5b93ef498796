"""Choose the refusal threshold from the curve over the RealTime QA tune half.

    python -m eval.calibrate --source /work/rtqa [--half tune] [--date-in-question] [--plot PATH]
    python -m eval.calibrate --sets sample          # check a chosen threshold on a gold set

Every question is answered with refusal switched off, and its confidence (rag/evidence/refusal.py) kept,
with whether the answer states the reference. For each candidate threshold we count what refusing
below it would do: abstention recall (unanswerable questions refused), the false-refusal rate
(answerable questions refused), abstention precision, and answer accuracy (reference stated and
not refused). The threshold with the best Youden index (recall minus false-refusal rate; near-ties,
within 0.02, go to the lowest threshold) is printed; it becomes `AbstainConfig.threshold` by hand, with the curve.
Tune on the tune half only; run the test half and the gold sets to report, not to choose.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eval.goldset import GoldItem, GoldSet, load_set
from eval.metrics import fact_found
from rag.evidence.refusal import AbstainConfig, RefusalSignals, confidence

THRESHOLDS = np.round(np.arange(0.0, 0.801, 0.02), 2)
Point = tuple[float, bool, bool]  # (confidence, answerable, reference stated)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    points: list[Point] = []
    if args.source is not None:
        points += collect_realtimeqa(args.source, args.half, args.date_in_question)
    for name in filter(None, args.sets.split(",")):
        gold = load_set(name)
        points += collect(gold, gold.items)
    curve = sweep(points)
    best = choose(curve)
    print("threshold  precision  recall  false-refusals  accuracy  youden")
    for row in curve:
        mark = "  <- chosen" if row is best else ""
        print(f"{row['threshold']:9.2f}  {row['precision']:9.2f}  {row['recall']:6.2f}  "
              f"{row['false_refusals']:14.2f}  {row['accuracy']:8.2f}  {row['youden']:6.2f}{mark}")
    if args.plot:
        plot(curve, best, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def collect_realtimeqa(source: Path, half: str, date_in_question: bool) -> list[Point]:
    """Points for one half of RealTime QA, each question asked on its quiz date (`as_of`)."""
    from eval.rtqa import prepare, with_date
    from rag.core.settings import load_settings

    gold = prepare(source, load_settings().index_dir)
    items = [i for i in gold.items if i.extra.get("split") == half]
    return collect(gold, [with_date(i) for i in items] if date_in_question else items)


def collect(gold: GoldSet, items: Sequence[GoldItem]) -> list[Point]:
    """(confidence, answerable, reference stated) for every question, refusal switched off."""
    from eval.runner import build_rag
    from rag.api import Rag

    built, _ = build_rag(gold)
    rag = Rag(built.settings, abstain=AbstainConfig(threshold=0.0))
    points = []
    for item in items:
        history: list[dict[str, str]] = []
        for turn in item.history:
            earlier = rag.ask(turn, history or None)
            history += [{"role": "user", "content": turn}, {"role": "assistant", "content": earlier.text}]
        answer = rag.ask(item.question, history or None, as_of=item.extra.get("question_date") or None)
        stated = bool(item.key_facts) and all(fact_found(f, answer.text) for f in item.key_facts)
        score = confidence(RefusalSignals(**answer.signals)) if answer.signals else 0.0
        points.append((score, item.answerable, stated))
    return points


def sweep(points: list[Point]) -> list[dict[str, float]]:
    rows = []
    answerable = sum(a for _, a, _ in points)
    unanswerable = len(points) - answerable
    for t in THRESHOLDS:
        refused = [(c < t, a, stated) for c, a, stated in points]
        true_refusals = sum(r and not a for r, a, _ in refused)
        refusals = sum(r for r, _, _ in refused)
        recall = true_refusals / unanswerable if unanswerable else 0.0
        false_refusals = sum(r and a for r, a, _ in refused) / answerable if answerable else 0.0
        rows.append({"threshold": float(t), "precision": true_refusals / refusals if refusals else 1.0,
                     "recall": recall, "false_refusals": false_refusals,
                     "accuracy": sum(a and s and not r for r, a, s in refused) / answerable if answerable else 0.0,
                     "youden": recall - false_refusals})
    return rows


YOUDEN_TIE = 0.02  # thresholds this close to the best Youden index count as tied: the lowest wins


def choose(curve: list[dict[str, float]]) -> dict[str, float]:
    """The threshold that best separates (most unanswerable refused for the fewest answerable);
    of near-ties the lowest, since a refusal of an answerable question costs the reader an answer."""
    best = max(row["youden"] for row in curve)
    return min((row for row in curve if row["youden"] >= best - YOUDEN_TIE), key=lambda row: row["threshold"])


def plot(curve: list[dict[str, float]], best: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = [r["threshold"] for r in curve]
    for key, label in (("recall", "abstention recall"), ("false_refusals", "false-refusal rate"),
                       ("accuracy", "answer accuracy"), ("precision", "abstention precision")):
        left.plot(xs, [r[key] for r in curve], label=label)
    left.axvline(best["threshold"], color="grey", linestyle="--", label=f"chosen {best['threshold']:.2f}")
    left.set_xlabel("refuse when confidence < threshold")
    left.legend(fontsize=8)
    left.set_title("Refusal threshold sweep")
    right.plot([r["false_refusals"] for r in curve], [r["recall"] for r in curve], marker=".")
    right.scatter([best["false_refusals"]], [best["recall"]], color="red", zorder=3, label="chosen")
    right.set_xlabel("false-refusal rate (answerable refused)")
    right.set_ylabel("abstention recall (unanswerable refused)")
    right.set_title("Refusing: what it catches against what it costs")
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="local copy of realtimeqa_public")
    parser.add_argument("--half", default="tune", choices=("tune", "test"))
    parser.add_argument("--date-in-question", action="store_true", help="append each quiz date to its question")
    parser.add_argument("--sets", default="", help="gold sets to add, e.g. sample,newswire")
    parser.add_argument("--plot", type=Path, default=None)
    return parser


if __name__ == "__main__":
    sys.exit(main())
