"""Price refusal thresholds from one eval report, without asking again.

Why: the model is asked whatever the threshold (it only decides afterwards whether the answer
stands), so a run with `--model-threshold 0` records every answer the model would give and each
question's refusal score (`confidence` in the report). Raising the threshold can only turn
answers into refusals, so every threshold's accuracy and refusal rates follow from that one run.
A system run at a threshold prices only thresholds at or above it.

    python -m eval.threshold_sweep eval/reports/report-realtimeqa.json [--system llm] [--step 0.04]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def price(rows: Sequence[dict[str, Any]], threshold: float) -> dict[str, float | None]:
    """Accuracy (lenient, every fact found) and refusal rates if answers scoring below `threshold` were refused."""

    def refused(row: dict[str, Any]) -> bool:
        score = row.get("confidence")
        return bool(row["abstained"]) or (score is not None and score < threshold)

    answerable = [r for r in rows if r["answerable"] and r["facts_total"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    right = [r for r in answerable if not refused(r) and r["facts_squashed"] == r["facts_total"]]
    return {
        "accuracy": _share(len(right), len(answerable)),
        "refused_answerable": _share(sum(map(refused, answerable)), len(answerable)),
        "refused_unanswerable": _share(sum(map(refused, unanswerable)), len(unanswerable)),
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def groups(report: dict[str, Any], system: str) -> dict[str, list[dict[str, Any]]]:
    """The system's rows, per RealTime QA half when the report records halves, else all together."""
    rows = report["questions"][system]
    split_of = report.get("meta", {}).get("split_of") or {}
    if not split_of:
        return {"all": rows}
    halves: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        halves.setdefault(split_of.get(row["id"], "?"), []).append(row)
    return halves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="report-<set>.json written by `rag eval`")
    parser.add_argument("--system", default="llm", help="which system's answers (llm, extractive)")
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--stop", type=float, default=0.6)
    parser.add_argument("--step", type=float, default=0.04)
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text(encoding="utf-8"))
    steps = round((args.stop - args.start) / args.step) + 1
    thresholds = [round(args.start + i * args.step, 4) for i in range(steps)]
    for name, rows in groups(report, args.system).items():
        print(f"\n{args.system}, {name} ({len(rows)} questions)")
        print("| threshold | accuracy | refused: answerable | refused: unanswerable |\n|---|---|---|---|")
        for t in thresholds:
            p = price(rows, t)
            print(f"| {t:.2f} | " + " | ".join("–" if v is None else f"{v:.2f}" for v in p.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
