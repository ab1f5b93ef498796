"""How often the sentences a model is shown hold the answer: the model path's ceiling, no model run.

Why: the model chooses among the reader's best sentences (`extractive.shortlist`), so a question
whose reference is in none of them is lost before the model reads anything. This reads every
answerable RealTime QA question of a half as the product does (its quiz date as `as_of`, the same
retrieval and reader), and counts a sentence as holding the answer when the reference, matched
leniently as the eval's accuracy is, is in it, the sentence before it or its article's title,
which is what the answer check reads (`rag.answer.verify.states`). Printed per number of
passages read and of sentences shown, after the share at each stage before (`STAGES`), so a lost
answer is placed: never retrieved, retrieved but not of the question's shape, or ranked too low.

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

STAGES = ("retrieved", "read", "fits", "scored")


def reach(rag: Rag, question: str, as_of: date, reference: str, sizes: list[int]) -> dict[int | str, bool]:
    """{sentences shown: whether one of them holds `reference`} for one question, and the same for
    each stage before the shortlist (`STAGES`): the retrieved passages, every sentence the reader
    reads, those of the shape the question asks for, and those scored above zero."""
    passages = rag.retrieve(question, rag.extractive_config.passages, as_of=as_of)
    window = preferred_window(question, as_of, rag.retriever.config.recent_days)
    read = rag._read(Asked(question, question, passages), window)

    def holds(cands: list[extractive.Candidate]) -> bool:
        return any(squashed_found(reference, f"{c.passage.title} {c.context} {c.sentence}") for c in cands)

    found: dict[int | str, bool] = {
        "retrieved": any(squashed_found(reference, f"{p.title} {p.text}") for p in passages),
        "read": holds(read.cands),
        "fits": holds([c for c in read.cands if extractive.answers_kind(c, read.q)]),
        "scored": holds([c for c in read.cands if c.score > 0]),
    }
    for size in sizes:
        found[size] = holds(extractive.shortlist(read.cands, size, rag.extractive_config))
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
    print("passages | " + " | ".join(STAGES) + " | " + " | ".join(f"{n} sentences" for n in args.sentences))
    for passages in args.passages:
        rag.extractive_config = replace(rag.extractive_config, passages=passages)
        hits = [reach(rag, i.question, date.fromisoformat(i.extra["question_date"]), i.reference, args.sentences)
                for i in items]
        columns: list[int | str] = [*STAGES, *args.sentences]
        print(f"{passages} | " + " | ".join(f"{sum(h[n] for h in hits) / len(hits):.2f}" for n in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
