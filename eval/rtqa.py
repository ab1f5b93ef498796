"""`rag eval --set realtimeqa --source PATH`: RealTime QA in the harness, scored per article and per half.

Why apart from the harness: this set is imported from a local copy rather than read from the
repository, its unit of retrieval is the article (a 5,000-word story is many chunks, and "found
the right article" is what matters to a reader), and it is reported per half, since the tuning
half may be tuned on and only the test half says how well that generalised. Everything else
(ingest, asking, scoring, reports) is the harness's own code. Our system is asked as on the
quiz's day (`eval.runner.Mode`: each question's date as `as_of`); the baseline gets no date.

The import goes to `<RAG_INDEX_DIR>/sets/realtimeqa/` and is redone only when the source files
or the importer's options change; the index is `<RAG_INDEX_DIR>/eval-realtimeqa`, as for any set.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from eval.goldset import GoldItem, GoldSet, load_items
from eval.report import format_table, write_reports
from eval.runner import History, Mode, System, build_rag, modes, run_meta, run_system
from eval.scoring import QuestionScore, summarize
from eval.sets.realtimeqa import SPLITS, ImportOptions, describe, fingerprint, import_set
from rag.core.types import Answer, Passage, TextDelta

NAME = "realtimeqa"
MAX_DEPTH = 80  # passages asked for at most while looking for k distinct articles
METRICS = (
    ("hit@1", "article hit@1"), ("hit@5", "article hit@5"), ("accuracy", "answer accuracy"),
    ("accuracy_strict", "accuracy (strict)"),
    ("false_refusal_rate", "refused: answerable"), ("abstention_recall", "refused: unanswerable"),
    ("answer_words_p50", "answer words p50"), ("first_text_p50_ms", "first text p50 ms"),
    ("p50_ms", "latency p50 ms"), ("n", "questions"),
)


def prepare(source: Path, index_dir: Path, options: ImportOptions = ImportOptions()) -> GoldSet:
    """The imported set under `index_dir`, imported again only when its inputs changed."""
    out = index_dir / "sets" / NAME
    wanted = fingerprint(source, options)
    if _recorded(out) != wanted or not (out / "gold.jsonl").is_file():
        print(f"import {describe(import_set(source, out, options), out)}")
    else:
        print(f"import: reusing {out} (same source files and options)")
    gold = out / "gold.jsonl"
    return GoldSet(NAME, gold, out / "corpus", tuple(load_items(gold)))


def _recorded(out: Path) -> dict[str, Any]:
    try:
        recorded = json.loads((out / "import.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: recorded.get(key) for key in ("version", "source", "options", "inputs")}


def with_date(item: GoldItem) -> GoldItem:
    """The question as the issue asked it the second time, its quiz date appended."""
    return replace(item, question=f"{item.question} (Question date: {item.extra['question_date']}.)")


def distinct_articles(passages: Sequence[Passage]) -> list[Passage]:
    """The first passage of each article (file), in rank order: the list article hit@k is read off."""
    seen: set[str] = set()
    firsts = []
    for passage in passages:
        if passage.source not in seen:
            seen.add(passage.source)
            firsts.append(passage)
    return firsts


def question_dates(items: Sequence[GoldItem]) -> dict[str, date]:
    """{question as asked: its quiz date}, for the items that carry one."""
    return {i.question: date.fromisoformat(i.extra["question_date"]) for i in items if i.extra.get("question_date")}


class ArticleRanking:
    """A system whose `retrieve(q, k)` returns k distinct articles, asking for more passages as needed.

    Several chunks of one long article often fill the top five passages, so the depth is doubled
    until k articles turn up, retrieval runs dry, or `MAX_DEPTH` passages have been looked at.
    """

    def __init__(self, system: System, max_depth: int = MAX_DEPTH) -> None:
        self.system = system
        self.max_depth = max_depth

    def ask(self, question: str, history: History | None = None) -> Answer:
        return self.system.ask(question, history)

    def ask_stream(self, question: str, history: History | None = None) -> Iterator[TextDelta | Answer]:
        return self.system.ask_stream(question, history)

    def retrieve(self, question: str, k: int | None = None) -> list[Passage]:
        want = k or 5
        depth = want
        while True:
            passages = self.system.retrieve(question, depth)
            articles = distinct_articles(passages)
            if len(articles) >= want or len(passages) < depth or depth >= self.max_depth:
                return articles[:want]
            depth = min(depth * 2, self.max_depth)


def first_of_each_half(items: Sequence[GoldItem], n: int) -> list[GoldItem]:
    """The first `n` questions of each half, in set order: a model answering a few hundred questions
    takes an hour on two cores, so a quicker run reports a fixed, stated sample of each half."""
    kept: dict[str, int] = {}
    chosen = []
    for item in items:
        half = item.extra.get("split", "")
        if kept.get(half, 0) < n:
            kept[half] = kept.get(half, 0) + 1
            chosen.append(item)
    return chosen


def by_half(items: Sequence[GoldItem], scores: Sequence[QuestionScore]) -> dict[str, list[QuestionScore]]:
    """Scores grouped by the item's split (`tune`, `test`), in the order of `SPLITS`."""
    split = {item.id: item.extra.get("split", "") for item in items}
    return {half: [s for s in scores if split[s.id] == half] for half in SPLITS}


def tables(items: Sequence[GoldItem], systems: dict[str, list[QuestionScore]]) -> dict[str, dict[str, Any]]:
    """{half: {system: summary}}."""
    halves = {name: by_half(items, scores) for name, scores in systems.items()}
    return {half: {name: summarize(h[half]) for name, h in halves.items()} for half in SPLITS}


def run(args: argparse.Namespace) -> int:
    """Import, ingest, ask both systems, print one table per half, write the reports."""
    from rag.core.settings import load_settings

    if args.source is None:
        print("error: --set realtimeqa needs --source PATH (a local copy of realtimeqa_public)")
        return 2
    gold = prepare(args.source, load_settings().index_dir)
    rag, mode = build_rag(gold, args.model_threshold, args.model_sentences)
    items = [with_date(i) for i in gold.items] if args.date_in_question else list(gold.items)
    if args.half:
        items = [i for i in items if i.extra.get("split") == args.half]
    if args.per_half:
        items = first_of_each_half(items, args.per_half)
    dates = question_dates(items)
    systems = {name: run_system(ArticleRanking(Mode(rag, use_llm, dates)), items, args.k)
               for name, use_llm in modes(rag, args.mode).items()}
    if args.baseline:
        from eval.baseline import Baseline

        systems["baseline"] = run_system(ArticleRanking(Baseline(gold.corpus_dir)), items, args.k)
    halves = tables(items, systems)
    for half, summaries in halves.items():
        print(f"\n{half} half{' (question date appended)' if args.date_in_question else ''}")
        print(format_table(summaries, METRICS))
    name = f"{NAME}-dated" if args.date_in_question else NAME
    meta = {**run_meta(gold, args.k, mode), "set": name, "date_in_question": args.date_in_question,
            "halves": halves, "split_of": {item.id: item.extra.get("split", "") for item in items}}
    for path in write_reports(args.out, name, meta, systems):
        print(f"wrote {path}")
    return 0
