"""Price refusal thresholds from one eval report, without asking again.

Why: the model is asked whatever the threshold (it only decides afterwards whether the answer
stands), so a run with `--model-threshold 0` records every answer the model would give and each
question's refusal score (`confidence` in the report). Raising the threshold can only turn
answers into refusals, so every threshold's accuracy and refusal rates follow from that one run.
A system run at a threshold prices only thresholds at or above it.

`--overrule` prices the other lever of a run in both modes: where the model declined, the
reader's own answer to the same question stands when its score reaches the threshold
(`AbstainConfig.overrule_threshold`).

    python -m eval.threshold_sweep eval/reports/report-realtimeqa.json [--system llm] [--step 0.04] [--overrule]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _refused(row: dict[str, Any], threshold: float) -> bool:
    score = row.get("confidence")
    return bool(row["abstained"]) or (score is not None and score < threshold)


def price(rows: Sequence[dict[str, Any]], threshold: float) -> dict[str, float | None]:
    """Accuracy (lenient, every fact found) and refusal rates if answers scoring below `threshold` were refused."""
    return _tally([None if _refused(r, threshold) else r for r in rows], rows)


def price_overrule(model: Sequence[dict[str, Any]], reader: dict[str, dict[str, Any]],
                   threshold: float, model_threshold: float = 0.0) -> dict[str, float | None]:
    """The same figures when the model's answers scoring below `model_threshold` are refused and
    the reader's answer (`reader`, by question id) replaces each refusal of the model whose score
    reaches `threshold`."""
    chosen = [r if not _refused(r, model_threshold) else None if _refused(reader[r["id"]], threshold)
              else reader[r["id"]] for r in model]
    return _tally(chosen, model)


def _tally(chosen: Sequence[dict[str, Any] | None], rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """`chosen[i]` is the answer that stands for `rows[i]`'s question, `None` for a refusal."""
    pairs = list(zip(rows, chosen, strict=True))
    answerable = [(r, c) for r, c in pairs if r["answerable"] and r["facts_total"]]
    unanswerable = [(r, c) for r, c in pairs if not r["answerable"]]
    right = [c for _, c in answerable if c is not None and c["facts_squashed"] == c["facts_total"]]
    return {
        "accuracy": _share(len(right), len(answerable)),
        "refused_answerable": _share(sum(c is None for _, c in answerable), len(answerable)),
        "refused_unanswerable": _share(sum(c is None for _, c in unanswerable), len(unanswerable)),
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
    parser.add_argument("--overrule", action="store_true",
                        help="price the reader's answer standing where the model declined (needs both modes)")
    parser.add_argument("--model-threshold", type=float, default=0.0,
                        help="with --overrule: the model's own answers below this score are refused first")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text(encoding="utf-8"))
    steps = round((args.stop - args.start) / args.step) + 1
    thresholds = [round(args.start + i * args.step, 4) for i in range(steps)]
    reader = {r["id"]: r for r in report["questions"].get("extractive", [])}
    for name, rows in groups(report, args.system).items():
        lever = "the reader overrules the model's refusals at" if args.overrule else "refusal threshold"
        print(f"\n{args.system}, {name} ({len(rows)} questions): {lever}")
        print("| threshold | accuracy | refused: answerable | refused: unanswerable |\n|---|---|---|---|")
        for t in thresholds:
            p = price_overrule(rows, reader, t, args.model_threshold) if args.overrule else price(rows, t)
            print(f"| {t:.2f} | " + " | ".join("–" if v is None else f"{v:.2f}" for v in p.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
