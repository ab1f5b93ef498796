"""Retrieval variants measured on the gold sets: which chunking and fusion settings find the fact.

    python -m eval.variants [--sets sample,newswire] [--out docs/retrieval-variants.md]
    python -m eval.variants --realtimeqa PATH [--out FILE]

Each chunking variant gets its own index (under `<RAG_INDEX_DIR>/variants/`, reused on reruns);
retrieval-only variants share the default index. Follow-up questions are left out: they measure
the rewrite, not retrieval. Prints a Markdown table of hit@1/@3/@5 and MRR per set.

With `--realtimeqa`, the retrieval variants of `RTQA_VARIANTS` run over the RealTime QA index
(`<RAG_INDEX_DIR>/eval-realtimeqa`, as `rag eval --set realtimeqa` leaves it) and are scored per
article, per half, with each question's quiz date as `as_of` unless the variant says otherwise:
one snapshot of the index serves every variant, so a row costs seconds, not an ingest.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from eval.goldset import GoldItem, GoldSet, load_set
from eval.metrics import first_hit_rank, hit_at, mean_reciprocal_rank
from ingest.chunking import ChunkingConfig
from rag.retrieval import RetrievalConfig

DEFAULT_CHUNKING = ChunkingConfig()
DEFAULT_RETRIEVAL = RetrievalConfig()

VARIANTS: dict[str, tuple[ChunkingConfig, RetrievalConfig]] = {
    "default (hybrid RRF, 160-piece chunks, title prefix)": (DEFAULT_CHUNKING, DEFAULT_RETRIEVAL),
    "dense only": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, keyword_weight=0.0)),
    "BM25 only": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, dense_weight=0.0)),
    "dense weight 2": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, dense_weight=2.0)),
    "BM25 weight 2": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, keyword_weight=2.0)),
    "candidate pool 10": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, candidates=10)),
    "candidate pool 60": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, candidates=60)),
    "no near-duplicate collapse": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, duplicate_containment=1.01)),
    "no title/date prefix": (replace(DEFAULT_CHUNKING, embed_title=False), DEFAULT_RETRIEVAL),
    "chunks 96 pieces": (replace(DEFAULT_CHUNKING, max_word_pieces=96, overlap_word_pieces=16), DEFAULT_RETRIEVAL),
    "chunks 128 pieces": (replace(DEFAULT_CHUNKING, max_word_pieces=128, overlap_word_pieces=20), DEFAULT_RETRIEVAL),
    "chunks 220 pieces": (replace(DEFAULT_CHUNKING, max_word_pieces=220, overlap_word_pieces=32), DEFAULT_RETRIEVAL),
    "no chunk overlap": (replace(DEFAULT_CHUNKING, overlap_word_pieces=0), DEFAULT_RETRIEVAL),
    "chunk order (no article ranking)": (DEFAULT_CHUNKING, replace(DEFAULT_RETRIEVAL, by_article=False)),
}

CHUNK_ORDER = replace(DEFAULT_RETRIEVAL, by_article=False, time_weight=0.0)
RTQA_VARIANTS: dict[str, tuple[RetrievalConfig, bool]] = {
    # name: (config, pass the quiz date as as_of)
    "before: chunk order, no date": (CHUNK_ORDER, False),
    "chunk order, as_of given (no effect)": (CHUNK_ORDER, True),
    "article ranking (default), no date": (DEFAULT_RETRIEVAL, False),
    "article ranking (default), as_of": (DEFAULT_RETRIEVAL, True),
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.realtimeqa:
        table = realtimeqa_table(args.realtimeqa)
        print(table)
        if args.out:
            args.out.write_text(table + "\n")
        return 0
    sets = [load_set(name) for name in args.sets.split(",")]
    rows = {name: {gold.name: measure(gold, *config) for gold in sets} for name, config in VARIANTS.items()}
    table = markdown_table(rows, [g.name for g in sets])
    print(table)
    if args.out:
        args.out.write_text(table + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def measure(gold: GoldSet, chunking: ChunkingConfig, retrieval: RetrievalConfig) -> dict[str, float]:
    """hit@1/@3/@5 and MRR over the set's answerable, stand-alone questions."""
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.index.settings import load_settings

    index = load_settings().index_dir / "variants" / f"{gold.name}-{_chunking_key(chunking)}"
    settings = load_settings(index_dir=index)
    ingest_path(gold.corpus_dir, settings, chunking=chunking, progress=False)
    rag = Rag(settings, retrieval=retrieval)
    items = [i for i in gold.items if i.answerable and not i.history]
    ranks = [first_hit_rank(rag.retrieve(i.question, 5), i.supporting) for i in items]
    return {
        "hit@1": hit_at(ranks, 1) or 0.0,
        "hit@3": hit_at(ranks, 3) or 0.0,
        "hit@5": hit_at(ranks, 5) or 0.0,
        "MRR": mean_reciprocal_rank(ranks) or 0.0,
        "n": float(len(items)),
    }


def realtimeqa_table(source: Path, variants: dict[str, tuple[RetrievalConfig, bool]] | None = None) -> str:
    """Article hit@1/@5 and MRR per half for each variant, over one shared snapshot of the index."""
    from eval.rtqa import prepare
    from eval.sets.realtimeqa import SPLITS
    from rag.api import Rag
    from rag.index.settings import load_settings

    gold = prepare(source, load_settings().index_dir)
    rag = Rag(load_settings(index_dir=load_settings().index_dir / "eval-realtimeqa"))
    items = [i for i in gold.items if i.answerable]
    lines = ["| variant | " + " | ".join(f"{h} {m}" for h in SPLITS for m in ("hit@1", "hit@5", "MRR")) + " |",
             "|---|" + "---|" * 3 * len(SPLITS)]
    for name, (config, dated) in (variants or RTQA_VARIANTS).items():
        rag.retriever.config = config
        ranks = article_ranks(rag, items, dated)
        cells = []
        for half in SPLITS:
            got = [r for r, i in zip(ranks, items) if i.extra.get("split") == half]
            cells += [f"{hit_at(got, n) or 0:.2f}" for n in (1, 5)] + [f"{mean_reciprocal_rank(got) or 0:.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    counts = ", ".join(f"{h}: {sum(i.extra.get('split') == h for i in items)}" for h in SPLITS)
    return "\n".join(lines) + f"\n\n(answerable questions {counts}; a hit is a supporting article among the first k.)"


def article_ranks(rag: object, items: list[GoldItem], dated: bool, k: int = 5) -> list[int | None]:
    """Rank of the first supporting article among the first `k` distinct articles, per question."""
    from eval.rtqa import ArticleRanking, AsOfQuestionDate, question_dates

    system = ArticleRanking(AsOfQuestionDate(rag, question_dates(items) if dated else {}))  # type: ignore[arg-type]
    return [first_hit_rank(system.retrieve(i.question, k), i.supporting) for i in items]


def _chunking_key(c: ChunkingConfig) -> str:
    return f"{c.max_word_pieces}-{c.overlap_word_pieces}-{'t' if c.embed_title else 'n'}"


def markdown_table(rows: dict[str, dict[str, dict[str, float]]], sets: list[str]) -> str:
    metrics = ["hit@1", "hit@3", "hit@5", "MRR"]
    header = "| variant | " + " | ".join(f"{s} {m}" for s in sets for m in metrics) + " |"
    lines = [header, "|---|" + "---|" * (len(sets) * len(metrics))]
    for name, per_set in rows.items():
        cells = [f"{per_set[s][m]:.2f}" for s in sets for m in metrics]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    counts = ", ".join(f"{s}: {int(next(iter(rows.values()))[s]['n'])} questions" for s in sets)
    return "\n".join(lines) + f"\n\n({counts}; answerable stand-alone questions, k = 5.)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.variants", description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="sample,newswire")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--realtimeqa", type=Path, metavar="SOURCE",
                        help="instead: the retrieval variants on RealTime QA (local copy of realtimeqa_public)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
