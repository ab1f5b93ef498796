"""How ingest and retrieval grow with the corpus: synthetic corpora of ~1k, 10k, 100k chunks.

Why: the sample corpus is 50 chunks; a newsroom archive is 10^5. For each size this ingests a
distinct synthetic corpus (`eval.synthetic`) in a fresh subprocess (time, peak RSS) and then, in
another fresh process, times warm retrieval (and the extractive answer) over gold questions.

`--embedder onnx` (default) is the real pipeline. `--embedder hashed` swaps MiniLM for a hashed
bag-of-words stand-in (same 384 dimensions, unit vectors, similar texts get similar vectors) so the
store, BM25 and fusion can be measured at sizes whose real embedding would not fit the time box;
its retrieval figures exclude the ~10 ms of a real query embedding, and are labelled as such.

The first retrieve of a fresh process is timed after the libraries are imported (their import
time is reported beside it): it covers the ONNX session, opening Chroma, mapping the saved
keyword index and the query itself, which is what grows with the corpus.

    python -m eval.scale --sizes 1000,10000,100000 [--embedder onnx|hashed] [--queries 50]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.measure import bench_env, dir_bytes, last_json, latency, machine, proc_status_mb, run_measured, timed_ms

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "eval" / "reports" / "scale"
GOLD_FILES = (REPO / "eval" / "gold.jsonl", REPO / "eval" / "sets" / "newswire" / "gold.jsonl")
DIMENSIONS = 384


class HashedEmbedding:
    """Stand-in embedder: each word's fixed pseudo-random vector, summed and normalised. No model."""

    embed_batch_size = 1024

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vector = self._cache.get(word)
        if vector is None:
            seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vector = self._cache[word] = np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
        return vector

    def embed(self, text: str) -> list[float]:
        words = [w.strip(".,;:!?“”\"'()").lower() for w in text.split()]
        total = np.sum([self._word(w) for w in words if w] or [np.ones(DIMENSIONS, np.float32)], axis=0)
        return (total / np.linalg.norm(total)).tolist()

    def get_text_embedding_batch(self, texts: list[str], **_: Any) -> list[list[float]]:
        return [self.embed(t) for t in texts]

    def get_query_embedding(self, query: str) -> list[float]:
        return self.embed(query)


def make_embedder(kind: str, settings: Any) -> Any:
    if kind == "hashed":
        return HashedEmbedding()
    from rag.embed.choose import get_embedder

    return get_embedder(settings)


# --- workers (fresh subprocesses) ----------------------------------------------------------------
def worker_ingest(corpus: Path, index: Path, kind: str) -> dict[str, Any]:
    started = time.perf_counter()
    from ingest.pipeline import ingest_path
    from rag.core.settings import load_settings

    settings = load_settings(index_dir=index)
    embedder = make_embedder(kind, settings)
    embedder.get_text_embedding_batch(["warm up"])
    loaded = time.perf_counter()
    report = ingest_path(corpus, settings, embedder=embedder, progress=False)
    done = time.perf_counter()
    return {"files": report.files, "articles": report.articles, "chunks": report.chunks, "errors": len(report.errors),
            "setup_s": loaded - started, "ingest_s": done - loaded, "word_pieces": report.word_pieces,
            "embed_s": report.embed_seconds, "keyword_s": report.keyword_seconds,
            "write_s": report.write_seconds}


def worker_query(index: Path, kind: str, count: int, answers: int) -> dict[str, Any]:
    """Fresh-process figures. The libraries' imports (the same at any corpus size: chromadb,
    llama-index, onnxruntime) are timed apart, so the first retrieve shows what grows with the index."""
    started = time.perf_counter()
    import chromadb  # noqa: F401
    import llama_index.core  # noqa: F401
    import onnxruntime  # noqa: F401

    from rag.api import Rag
    from rag.core.settings import load_settings

    imports_ms = (time.perf_counter() - started) * 1000

    settings = load_settings(index_dir=index)
    rag = Rag(settings, embedder=make_embedder(kind, settings))
    questions = gold_questions(count)
    first_ms = timed_ms(lambda: rag.retrieve(questions[0]))  # opens Chroma, maps the saved keyword index
    first_rss = proc_status_mb(os.getpid())
    clear = rag.retriever.embed_query.cache_clear
    retrieve, ask, embed = [], [], []
    for q in questions:
        clear()
        retrieve.append(timed_ms(lambda q=q: rag.retrieve(q)))
        clear()
        embed.append(timed_ms(lambda q=q: rag.retriever.embed_query(q)))
    rag.ask(questions[0])  # first answer loads the sentence splitter
    for q in questions[:answers]:
        clear()
        ask.append(timed_ms(lambda q=q: rag.ask(q)))
    return {"imports_ms": round(imports_ms, 1), "first_retrieve_ms": round(first_ms, 1),
            "first_query_rss_mb": first_rss.get("VmHWM"),
            "retrieve": latency(retrieve), "ask": latency(ask),
            "query_embedding": latency(embed), "chunks_indexed": rag.retriever.snapshot().size}


def gold_questions(count: int) -> list[str]:
    seen: dict[str, None] = {}
    for path in GOLD_FILES:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    seen.setdefault(json.loads(line)["question"], None)
    return list(seen)[:count]


def run_worker(args: list[str]) -> int:
    kind, rest = args[0], args[1:]
    if kind == "ingest":
        result = worker_ingest(Path(rest[0]), Path(rest[1]), rest[2])
    elif kind == "query":
        result = worker_query(Path(rest[0]), rest[1], int(rest[2]), int(rest[3]))
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    print(json.dumps(result))
    return 0


# --- one size, all sizes -------------------------------------------------------------------------
def corpus_for(size: int, root: Path, seed: int) -> tuple[Path, dict[str, Any]]:
    """The synthetic corpus for `size` chunks under `root`, generated once and reused."""
    from eval.synthetic import make_corpus

    folder = root / f"chunks-{size}"
    stats_file = root / f"chunks-{size}.json"
    if folder.is_dir() and stats_file.exists():
        return folder, json.loads(stats_file.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    stats = make_corpus(folder, size, seed).__dict__ | {"generate_s": round(time.perf_counter() - started, 1)}
    stats_file.write_text(json.dumps(stats, indent=2))
    return folder, stats


def worker_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "eval.scale", "--worker", *args]


def run_size(size: int, args: argparse.Namespace, previous: dict[int, dict[str, Any]]) -> dict[str, Any]:
    corpus, stats = corpus_for(size, args.corpora, args.seed)
    index = args.work / f"index-{args.embedder}-{size}"
    if args.reuse and index.is_dir() and size in previous:
        return query_size(size, args, index, stats, previous[size] | {"ingest_reused": True})
    shutil.rmtree(index, ignore_errors=True)
    print(f"  {size}: ingest {stats['files']} files …", flush=True)
    ingest = run_measured(worker_cmd("ingest", str(corpus), str(index), args.embedder), bench_env(), timeout=4 * 3600)
    row = last_json(ingest)
    print(f"  {size}: {row['chunks']} chunks in {row['ingest_s']:.1f} s, "
          f"peak RSS {ingest['peak_rss_mb']:.0f} MB; querying …", flush=True)
    ingested = {
        "target_chunks": size,
        "embedder": args.embedder,
        "corpus": stats,
        "chunks": row["chunks"],
        "articles": row["articles"],
        "files": row["files"],
        "ingest_s": round(row["ingest_s"], 2),
        "ingest_chunks_per_s": round(row["chunks"] / row["ingest_s"], 1),
        "ingest_word_pieces_per_s": round(row["word_pieces"] / row["ingest_s"]) if row.get("word_pieces") else None,
        "embedder_word_pieces_per_s": round(row["word_pieces"] / row["embed_s"]) if row.get("embed_s") else None,
        "keyword_index_s": round(row.get("keyword_s", 0.0), 2),
        "ingest_wall_s": round(ingest["wall_s"], 2),
        "ingest_peak_rss_mb": round(ingest["peak_rss_mb"], 1),
        "index_mb": round(dir_bytes(index) / 2**20, 1),
    }
    return query_size(size, args, index, stats, ingested)


def query_size(size: int, args: argparse.Namespace, index: Path, stats: dict[str, Any],
               ingested: dict[str, Any]) -> dict[str, Any]:
    """Fresh-process query figures over a built index, added to its ingest figures."""
    query = run_measured(
        worker_cmd("query", str(index), args.embedder, str(args.queries), str(args.answers)), bench_env()
    )
    result = ingested | {"query_peak_rss_mb": round(query["peak_rss_mb"], 1), **last_json(query)}
    if not args.keep_index:
        shutil.rmtree(index, ignore_errors=True)
    return result


def format_rows(rows: list[dict[str, Any]]) -> str:
    head = (f"{'embedder':8s} {'chunks':>7s} {'ingest s':>9s} {'chunks/s':>9s} {'ingest RSS':>10s} {'index MB':>9s} "
            f"{'1st query ms':>12s} {'1st RSS':>8s} {'ret p50':>8s} {'ret p95':>8s} {'ask p50':>8s} {'query RSS':>9s}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['embedder']:8s} {r['chunks']:7d} {r['ingest_s']:9.1f} {r['ingest_chunks_per_s']:9.1f} "
                     f"{r['ingest_peak_rss_mb']:10.0f} {r['index_mb']:9.1f} {r['first_retrieve_ms']:12.0f} "
                     f"{r.get('first_query_rss_mb') or 0:8.0f} "
                     f"{r['retrieve']['p50_ms']:8.1f} {r['retrieve']['p95_ms']:8.1f} {r['ask']['p50_ms'] or 0:8.1f} "
                     f"{r['query_peak_rss_mb']:9.0f}")
    return "\n".join(lines)


def draw_chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(19, 4.2))
    for kind in sorted({r["embedder"] for r in rows}):
        rs = sorted((r for r in rows if r["embedder"] == kind), key=lambda r: r["chunks"])
        x = [r["chunks"] for r in rs]
        axes[0].plot(x, [r["retrieve"]["p50_ms"] for r in rs], "o-", label=f"retrieve p50 ({kind})")
        axes[0].plot(x, [r["retrieve"]["p95_ms"] for r in rs], "o--", label=f"retrieve p95 ({kind})")
        axes[1].plot(x, [r["ingest_peak_rss_mb"] for r in rs], "o-", label=f"ingest ({kind})")
        axes[1].plot(x, [r["query_peak_rss_mb"] for r in rs], "s--", label=f"query process ({kind})")
        if all("first_query_rss_mb" in r for r in rs):
            axes[1].plot(x, [r["first_query_rss_mb"] for r in rs], "^:",
                         label=f"fresh process after 1st query ({kind})")
        axes[2].plot(x, [r["ingest_chunks_per_s"] for r in rs], "o-", label=f"ingest ({kind})")
        axes[3].plot(x, [r["first_retrieve_ms"] / 1000 for r in rs], "o-", label=f"first retrieve ({kind})")
    axes[0].axhline(50, color="grey", lw=0.8, ls=":", label="50 ms target (p50, 100k)")
    axes[3].axhline(2, color="grey", lw=0.8, ls=":", label="2 s target (100k)")
    titles = ("warm retrieval latency (ms)", "peak RSS (MB)", "ingest throughput (chunks/s)",
              "first retrieve, fresh process (s)")
    for ax, title in zip(axes, titles):
        ax.set_xscale("log")
        ax.set_xlabel("chunks in index")
        ax.set_title(title)
        ax.legend(fontsize=7)
    axes[1].set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="target chunk counts, comma-separated")
    parser.add_argument("--embedder", choices=("onnx", "hashed"), default="onnx")
    parser.add_argument("--queries", type=int, default=50, help="gold questions timed for retrieval")
    parser.add_argument("--answers", type=int, default=20, help="of those, how many also get an extractive answer")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--corpora", type=Path, default=None, help="where synthetic corpora are kept (default OUT/corpora)"
    )
    parser.add_argument("--work", type=Path, default=None, help="where indexes are built (default OUT/work)")
    parser.add_argument("--keep-index", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="query a kept index again, keeping the ingest figures of the last report for that size")
    parser.add_argument("--worker", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return run_worker(args.worker)
    args.corpora = args.corpora or args.out / "corpora"
    args.work = args.work or args.out / "work"
    args.out.mkdir(parents=True, exist_ok=True)
    report_path = args.out / f"scale-{args.embedder}.json"
    previous = {}
    if report_path.exists():
        previous = {r["target_chunks"]: r for r in json.loads(report_path.read_text())["rows"]}
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        rows.append(run_size(size, args, previous))
        report_path.write_text(json.dumps({"machine": machine_note(), "rows": rows}, indent=2))  # after each size
    all_rows = [r for p in sorted(args.out.glob("scale-*.json")) for r in json.loads(p.read_text())["rows"]]
    draw_chart(all_rows, args.out / "scale.png")
    print(format_rows(rows))
    print(f"\nwrote {report_path} and {args.out / 'scale.png'} (chart includes every scale-*.json there)")
    return 0


def machine_note() -> dict[str, Any]:
    return machine() | {
        "note": "query figures are medians over gold questions, query-vector cache cleared per question"
    }


if __name__ == "__main__":
    raise SystemExit(main())
