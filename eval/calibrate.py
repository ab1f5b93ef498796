"""Choose the refusal threshold from the precision/recall curve over the gold sets.

    python -m eval.calibrate [--sets sample,newswire] [--plot docs/refusal-curve.png]

Every question is answered with refusal switched off, and its confidence (rag/abstain.py) kept.
For each candidate threshold we count what refusing below it would do: abstention precision
(refusals that were right), abstention recall (unanswerable questions refused) and the
false-refusal rate (answerable questions refused). The threshold with the best F1 of abstention
precision and recall is printed; it becomes `AbstainConfig.threshold` by hand, with the curve.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from eval.goldset import GoldSet, load_set
from rag.abstain import AbstainConfig, confidence

THRESHOLDS = np.round(np.arange(0.0, 0.801, 0.02), 2)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    points: list[tuple[float, bool]] = []
    for name in args.sets.split(","):
        points += collect(load_set(name))
    curve = sweep(points)
    best = max(curve, key=lambda row: (row["f1"], -row["false_refusals"]))
    print("threshold  precision  recall  false-refusals  f1")
    for row in curve:
        mark = "  <- best F1" if row is best else ""
        print(f"{row['threshold']:9.2f}  {row['precision']:9.2f}  {row['recall']:6.2f}  "
              f"{row['false_refusals']:14.2f}  {row['f1']:.2f}{mark}")
    if args.plot:
        plot(curve, best, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def collect(gold: GoldSet) -> list[tuple[float, bool]]:
    """(confidence, answerable) for every question of the set, refusal switched off."""
    from eval.runner import build_rag
    from rag.api import Rag

    built, _ = build_rag(gold)
    rag = Rag(built.settings, abstain=AbstainConfig(threshold=0.0))
    points = []
    for item in gold.items:
        history: list[dict[str, str]] = []
        for turn in item.history:
            earlier = rag.ask(turn, history or None)
            history += [{"role": "user", "content": turn}, {"role": "assistant", "content": earlier.text}]
        answer = rag.ask(item.question, history or None)
        points.append((confidence(answer.signals) if answer.signals else 0.0, item.answerable))
    return points


def sweep(points: list[tuple[float, bool]]) -> list[dict[str, float]]:
    rows = []
    for t in THRESHOLDS:
        refused = [(c < t, answerable) for c, answerable in points]
        true_refusals = sum(r and not a for r, a in refused)
        refusals = sum(r for r, _ in refused)
        unanswerable = sum(not a for _, a in refused)
        answerable = len(refused) - unanswerable
        precision = true_refusals / refusals if refusals else 1.0
        recall = true_refusals / unanswerable if unanswerable else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        false_refusals = sum(r and a for r, a in refused) / answerable if answerable else 0.0
        rows.append({"threshold": float(t), "precision": precision, "recall": recall,
                     "false_refusals": false_refusals, "f1": f1})
    return rows


def plot(curve: list[dict[str, float]], best: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = [r["threshold"] for r in curve]
    for key, label in (("precision", "abstention precision"), ("recall", "abstention recall"),
                       ("false_refusals", "false-refusal rate"), ("f1", "F1")):
        left.plot(xs, [r[key] for r in curve], label=label)
    left.axvline(best["threshold"], color="grey", linestyle="--", label=f"chosen {best['threshold']:.2f}")
    left.set_xlabel("refuse when confidence < threshold")
    left.legend(fontsize=8)
    left.set_title("Refusal threshold sweep (both gold sets)")
    right.plot([r["recall"] for r in curve], [r["precision"] for r in curve], marker=".")
    right.scatter([best["recall"]], [best["precision"]], color="red", zorder=3, label="chosen")
    right.set_xlabel("abstention recall")
    right.set_ylabel("abstention precision")
    right.set_title("Precision / recall of refusing")
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="sample,newswire")
    parser.add_argument("--plot", type=Path, default=None)
    return parser


if __name__ == "__main__":
    sys.exit(main())
