"""How often the sentences a model is shown hold the answer: the model path's ceiling, no model run.

Why: the model chooses among the reader's best sentences (`extractive.shortlist`), so a question
whose reference is in none of them is lost before the model reads anything. This reads every
answerable RealTime QA question of a half as the product does (its quiz date as `as_of`, the same
retrieval and reader), and counts a sentence as holding the answer when the reference, matched
leniently as the eval's accuracy is, is in it, the sentence before it or its article's title,
which is what the answer check reads (`rag.answer.verify.states`). Printed per number of
passages read and of sentences shown.

    python -m eval.shortlist_reach --source ~/realtimeqa_public --half tune [--passages 5 8] [--sentences 4 6 8 12]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import date
from pathlib import Path

from eval.metrics import squashed_found
from eval.rtqa import prepare
from rag.api import Asked, Rag
from rag.core.settings import load_settings
from rag.query.timeframe import preferred_window
from rag.read import extractive


def reach(rag: Rag, question: str, as_of: date, reference: str, sizes: list[int]) -> dict[int, bool]:
    """{sentences shown: whether one of them holds `reference`} for one question."""
    passages = rag.retrieve(question, rag.extractive_config.passages, as_of=as_of)
    window = preferred_window(question, as_of, rag.retriever.config.recent_days)
    read = rag._read(Asked(question, question, passages), window)
    found = {}
    for size in sizes:
        listed = extractive.shortlist(read.cands, size, rag.extractive_config)
        found[size] = any(squashed_found(reference, f"{c.passage.title} {c.context} {c.sentence}") for c in listed)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.shortlist_reach", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="local copy of realtimeqa/realtimeqa_public")
    parser.add_argument("--half", choices=("tune", "test"), default="tune")
    parser.add_argument("--passages", type=int, nargs="+", default=[8], help="passages the reader reads")
    parser.add_argument("--sentences", type=int, nargs="+", default=[1, 4, 6, 8, 12], help="sentences shown")
    args = parser.parse_args()

    settings = load_settings(index_dir=load_settings().index_dir / "eval-realtimeqa")
    gold = prepare(args.source, load_settings().index_dir)
    items = [i for i in gold.items if i.answerable and i.extra.get("split") == args.half]
    rag = Rag(settings)
    print(f"{len(items)} answerable questions of the {args.half} half; share whose reference is shown")
    print("passages | " + " | ".join(f"{n} sentences" for n in args.sentences))
    for passages in args.passages:
        rag.extractive_config = replace(rag.extractive_config, passages=passages)
        hits = [reach(rag, i.question, date.fromisoformat(i.extra["question_date"]), i.reference, args.sentences)
                for i in items]
        print(f"{passages} | " + " | ".join(f"{sum(h[n] for h in hits) / len(hits):.2f}" for n in args.sentences))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
