"""Printing and writing eval results: one compact table for the terminal, JSON + Markdown on disk.

Why: the terminal table is for a glance (systems side by side, metrics as rows); the JSON keeps
every per-question number and answer for later analysis; the Markdown is what a reviewer reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.scoring import METRICS, QuestionScore, by_type, summarize

Summary = Mapping[str, float | int | None]


def fmt(key: str, value: float | None) -> str:
    """Rates as 0.00, times as whole milliseconds, counts as integers, unmeasured as '-'."""
    if value is None:
        return "-"
    if key == "n" or key.startswith("answer_words"):
        return str(round(value))
    if key.endswith("_ms"):
        return f"{value:.0f}"
    return f"{value:.2f}"


def format_table(summaries: Mapping[str, Summary],
                 metrics: Sequence[tuple[str, str]] = METRICS) -> str:
    """Metrics down, systems across; `metrics` is (summary key, label) pairs in print order."""
    names = list(summaries)
    label_width = max(len(label) for _, label in metrics)
    lines = [f"{'metric':<{label_width}}  " + "  ".join(f"{n:>8}" for n in names)]
    for key, label in metrics:
        cells = "  ".join(f"{fmt(key, summaries[n].get(key)):>8}" for n in names)
        lines.append(f"{label:<{label_width}}  {cells}")
    return "\n".join(lines)


def write_reports(out: Path, set_name: str, meta: Mapping[str, Any],
                  systems: Mapping[str, Sequence[QuestionScore]]) -> list[Path]:
    """Write `report-<set>.json` and `report-<set>.md` into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    summaries = {name: summarize(scores) for name, scores in systems.items()}
    data = {
        "meta": dict(meta),
        "summary": summaries,
        "by_type": {name: by_type(scores) for name, scores in systems.items()},
        "questions": {name: [s.row() for s in scores] for name, scores in systems.items()},
    }
    json_path, md_path = out / f"report-{set_name}.json", out / f"report-{set_name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(meta, summaries, systems), encoding="utf-8")
    return [json_path, md_path]


def markdown(meta: Mapping[str, Any], summaries: Mapping[str, Summary],
             systems: Mapping[str, Sequence[QuestionScore]]) -> str:
    parts = [
        f"# Eval report: `{meta['set']}`\n",
        (f"{meta['questions']} questions from `{meta['gold']}` over `{meta['corpus']}`; "
         f"k = {meta['k']}; answer mode: {meta['mode']}; run {meta['created']}.\n"),
        "## Summary\n",
        _md_summary(summaries),
    ]
    for name, scores in systems.items():
        parts += [f"## By question type ({name})\n", _md_by_type(by_type(scores))]
        parts += [f"## Per question ({name})\n", _md_rows(scores)]
    return "\n".join(parts)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _md_summary(summaries: Mapping[str, Summary]) -> str:
    rows = [[label, *(fmt(key, s.get(key)) for s in summaries.values())] for key, label in METRICS]
    return _md_table(["metric", *summaries], rows)


def _md_by_type(table: Mapping[str, Summary]) -> str:
    keys = ("n", "hit@5", "key_fact_recall", "citation_correctness", "abstention_recall", "false_refusal_rate")
    rows = [[t, *(fmt(k, s.get(k)) for k in keys)] for t, s in table.items()]
    return _md_table(["type", *keys], rows)


def _md_rows(scores: Sequence[QuestionScore]) -> str:
    rows = [
        [s.id, s.type, str(s.hit_rank or "-") if s.retrieval_scored else "n/a",
         f"{s.facts_found}/{s.facts_total}" if s.facts_total else "-",
         "yes" if s.abstained else "no", f"{s.ms:.0f}"]
        for s in scores
    ]
    return _md_table(["id", "type", "hit rank", "facts found", "abstained", "ms"], rows)
