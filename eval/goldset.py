"""Gold question sets: where they live on disk and how one line of `gold.jsonl` is read.

Why: the harness, the baseline and the tests must agree on one schema and one naming rule.
`sample` is `eval/gold.jsonl` over `data/corpus`; any other NAME is `eval/sets/NAME/gold.jsonl`
over `eval/sets/NAME/corpus/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
REPO = EVAL_DIR.parent
TYPES = ("single", "number", "multi", "followup", "unrelated", "unanswerable")
REQUIRED = ("id", "type", "question", "history", "reference", "key_facts", "supporting", "answerable")


@dataclass(frozen=True)
class GoldItem:
    """One gold question; `history` holds earlier user turns asked before `question`."""

    id: str
    type: str
    question: str
    reference: str
    answerable: bool
    key_facts: tuple[str, ...] = ()
    supporting: tuple[dict[str, str], ...] = ()
    history: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GoldSet:
    name: str
    gold_path: Path
    corpus_dir: Path
    items: tuple[GoldItem, ...]


def set_paths(name: str) -> tuple[Path, Path]:
    """(gold.jsonl, corpus folder) for a set name."""
    if name == "sample":
        return EVAL_DIR / "gold.jsonl", REPO / "data" / "corpus"
    return EVAL_DIR / "sets" / name / "gold.jsonl", EVAL_DIR / "sets" / name / "corpus"


def available_sets() -> list[str]:
    """`sample` plus every `eval/sets/NAME` that has a `gold.jsonl`."""
    sets_dir = EVAL_DIR / "sets"
    found = sorted(p.parent.name for p in sets_dir.glob("*/gold.jsonl")) if sets_dir.is_dir() else []
    return ["sample", *found]


def parse_item(line: str) -> GoldItem:
    """Parse one JSON line; raises `ValueError` naming what is wrong."""
    raw = json.loads(line)
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"{raw.get('id', '?')}: missing fields {missing}")
    if raw["type"] not in TYPES:
        raise ValueError(f"{raw['id']}: type {raw['type']!r} is not one of {TYPES}")
    known = {k: raw[k] for k in REQUIRED}
    return GoldItem(
        id=str(known["id"]), type=known["type"], question=known["question"], reference=known["reference"],
        answerable=bool(known["answerable"]), key_facts=tuple(known["key_facts"]),
        supporting=tuple(dict(s) for s in known["supporting"]), history=tuple(known["history"]),
        extra={k: v for k, v in raw.items() if k not in REQUIRED},
    )


def load_items(path: Path) -> list[GoldItem]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse_item(line) for line in lines if line.strip()]


def load_set(name: str) -> GoldSet:
    gold_path, corpus_dir = set_paths(name)
    if not gold_path.is_file():
        raise FileNotFoundError(f"no gold set at {gold_path} (sets: {', '.join(available_sets())})")
    return GoldSet(name, gold_path, corpus_dir, tuple(load_items(gold_path)))
