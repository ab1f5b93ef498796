"""Speed and scale of our pipeline beside the plain llama-index one: same corpus, weights, questions.

Why: "fast" means little without a reference. The reference is the tutorial pipeline a user would
otherwise write (`SimpleDirectoryReader` -> `VectorStoreIndex.from_documents` with the default
splitter, `HuggingFaceEmbedding` on the same MiniLM weights, retriever top-k 2, no LLM). Both run in
one invocation, taking turns within each round, so a busy neighbour slows both alike.

Measured: ingest throughput and peak RSS (fresh subprocess each), embedding throughput alone (the
same chunk texts through both embedders), warm query latency, retrieval hit@k on the gold set,
cold `rag ask` in a new process, peak RSS of `rag serve`, index size on disk, `rag --help` time.
Nothing here asserts a timing: it prints figures and writes JSON plus a PNG chart to `--out`.
How a figure is taken lives in `eval.measure`, the processes it starts in `eval.bench_workers`,
the chart in `eval.bench_plot`.

    rag bench [--corpus data/corpus] [--gold eval/gold.jsonl] [--rounds 3] [--out eval/reports/bench]
    rag bench --scale --rtqa-corpus DIR ...   # the corpus-scale rows: see eval/bench_scale.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_plot import draw_chart
from eval.bench_workers import THEIR_TOP_K, load_plain_index, plain_embedder, worker_cmd
from eval.measure import (
    REPO,
    bench_env,
    dir_bytes,
    free_port,
    last_json,
    latency,
    machine,
    proc_status_mb,
    rounded,
    run_measured,
    timed_ms,
)
from eval.metrics import hit_at, mean_reciprocal_rank, percentile

DEFAULT_OUT = REPO / "eval" / "reports" / "bench"
SKIPPABLE = ("ingest-theirs", "embedding", "cold", "serve", "help")
TARGETS = {  # figure key -> (comparison, bound, what the issue asks for)
    "embedding_ratio": (">=", 3.0, "embedding throughput >= 3x plain HuggingFaceEmbedding"),
    "ask_p50_ms": ("<=", 100.0, "warm offline answer p50 <= 100 ms (sample corpus)"),
    "ask_cold_cache_p50_ms": ("<=", 100.0, "same, sentence-vector cache emptied before each question"),
    "cold_ask_s": ("<=", 5.0, "cold `rag ask` <= 5 s"),
    "serve_peak_rss_mb": ("<=", 1536.0, "peak RSS of `rag serve` <= 1.5 GB"),
    "help_s": ("<", 1.0, "`rag --help` < 1 s"),
}


# --- gold questions and hit@k --------------------------------------------------------------------
def load_gold(path: Path, limit: int | None) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items[:limit] if limit else items


def ref_hits(source: str, title: str, supporting: Sequence[dict[str, Any]]) -> bool:
    """Same file, and the title holds `title_contains` (case-insensitive) when the gold gives one."""
    for s in supporting:
        wanted = (s.get("title_contains") or "").lower()
        if source == s["source"] and wanted in title.lower():
            return True
    return False


def first_hit(
    passages: Sequence[tuple[str, str, list[tuple[str, str]]]], supporting: Sequence[dict[str, Any]]
) -> int | None:
    """1-based rank of the first passage (or one of its duplicates) from a supporting article."""
    for rank, (source, title, dups) in enumerate(passages, start=1):
        if ref_hits(source, title, supporting) or any(ref_hits(s, t, supporting) for s, t in dups):
            return rank
    return None


def hit_summary(ranks: list[int | None], k: int) -> dict[str, Any]:
    share = lambda j: rounded(hit_at(ranks, j), 3)
    return {"questions": len(ranks), "hit@1": share(1), "hit@2": share(2), f"hit@{k}": share(k),
            "mrr": rounded(mean_reciprocal_rank(ranks), 3)}


# --- the measurements ----------------------------------------------------------------------------
def ingest_rounds(corpus: Path, work: Path, rounds: int, theirs: bool) -> dict[str, Any]:
    """Each round: our ingest, then theirs, each in a fresh process into a fresh directory."""
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "theirs": []}
    sides = ("ours", "theirs") if theirs else ("ours",)
    for i in range(rounds):
        for side in sides:
            index = work / f"{side}-index-{i}"
            shutil.rmtree(index, ignore_errors=True)
            result = run_measured(worker_cmd(f"ingest-{side}", str(corpus), str(index)), bench_env())
            row = last_json(result) | {"wall_s": result["wall_s"], "peak_rss_mb": result["peak_rss_mb"],
                                       "index_bytes": dir_bytes(index), "index": str(index)}
            runs[side].append(row)
            print(f"  ingest {side} round {i + 1}: {row['chunks']} chunks in {row['ingest_s']:.2f} s, "
                  f"peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    return {side: summarise_ingest(rows) for side, rows in runs.items() if rows}


def summarise_ingest(rows: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(rows, key=lambda r: r["ingest_s"])
    median_s = statistics.median(r["ingest_s"] for r in rows)
    return {"runs": rows, "ingest_s_median": median_s, "chunks": best["chunks"], "files": best["files"],
            "chunks_per_s": best["chunks"] / median_s, "files_per_s": best["files"] / median_s,
            "model_load_s_median": statistics.median(r["model_load_s"] for r in rows),
            "wall_s_median": statistics.median(r["wall_s"] for r in rows),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in rows), "index_bytes": best["index_bytes"],
            "index": rows[-1]["index"]}


def chunk_texts(index: Path) -> list[str]:
    from rag.core.settings import load_settings
    from rag.index.store import ChunkStore

    return [c.text for c in ChunkStore(load_settings(index_dir=index)).all_chunks()]


def embedding_rounds(texts: list[str], ours: Any, theirs: Any, rounds: int) -> dict[str, Any]:
    """Chunks per second for the same texts through both embedders, alternating."""
    for embedder in (ours, theirs):
        embedder.get_text_embedding_batch(texts[:8])  # warm-up: allocations, lazy session build
    seconds: dict[str, list[float]] = {"ours": [], "theirs": []}
    cpu: dict[str, list[float]] = {"ours": [], "theirs": []}
    for _ in range(rounds):
        for side, embedder in (("ours", ours), ("theirs", theirs)):
            seconds[side].append(timed_ms(lambda e=embedder: e.get_text_embedding_batch(texts), cpu[side]) / 1000)
    out = {side: {"seconds": s, "chunks_per_s": len(texts) / statistics.median(s), "embedder": type(e).__name__,
                  "chunks_per_cpu_s": len(texts) / (statistics.median(cpu[side]) / 1000),
                  "batch_size": getattr(e, "embed_batch_size", None)}
           for (side, s), e in zip(seconds.items(), (ours, theirs))}
    out["texts"] = len(texts)
    out["mean_chars"] = round(statistics.fmean(len(t) for t in texts), 1) if texts else 0
    return out


def query_rounds(rag: Any, plain: Any, questions: list[str], rounds: int) -> dict[str, Any]:
    """Warm latency per question, the four paths taking turns; our query-vector cache is cleared.

    "cold cache" also empties the extractive answer's sentence-vector cache before each question:
    on a 50-chunk corpus every sentence is cached after a few questions, which flatters "warm".
    """
    from rag.read import extractive

    retriever = plain.as_retriever(similarity_top_k=THEIR_TOP_K)
    engine = plain.as_query_engine(similarity_top_k=THEIR_TOP_K)
    clear = rag.retriever.embed_query.cache_clear
    rag.ask(questions[0])
    engine.query(questions[0])
    names = ("ours_retrieve", "ours_ask", "ours_ask_cold_cache", "theirs_retrieve", "theirs_query_engine")
    ms: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(rounds):
        for q in questions:
            clear()
            ms["ours_retrieve"].append(timed_ms(lambda q=q: rag.retrieve(q), cpu["ours_retrieve"]))
            ms["theirs_retrieve"].append(timed_ms(lambda q=q: retriever.retrieve(q), cpu["theirs_retrieve"]))
            clear()
            ms["ours_ask"].append(timed_ms(lambda q=q: rag.ask(q), cpu["ours_ask"]))
            ms["theirs_query_engine"].append(timed_ms(lambda q=q: engine.query(q), cpu["theirs_query_engine"]))
            clear()
            extractive.clear_sentence_cache()
            ms["ours_ask_cold_cache"].append(timed_ms(lambda q=q: rag.ask(q), cpu["ours_ask_cold_cache"]))
    return {
        n: latency(ms[n]) | {"cpu_p50_ms": rounded(percentile(cpu[n], 50)), "samples_ms": [round(v, 2) for v in ms[n]]}
        for n in names
    }


def hit_rounds(rag: Any, plain: Any, items: list[dict[str, Any]], corpus: Path, k: int) -> dict[str, Any]:
    """hit@k on answerable gold items: ours with duplicates counted, theirs with title = node text."""
    scored = [i for i in items if i.get("answerable") and i.get("supporting")]
    retriever = plain.as_retriever(similarity_top_k=k)
    ours: list[int | None] = []
    theirs: list[int | None] = []
    for item in scored:
        passages = rag.retrieve(item["question"], k)
        ours.append(first_hit([(p.source, p.title, [(d.source, d.title) for d in p.duplicates]) for p in passages],
                              item["supporting"]))
        nodes = retriever.retrieve(item["question"])
        theirs.append(first_hit([(plain_source(n.node.metadata, corpus), n.node.get_content(), []) for n in nodes],
                                item["supporting"]))
    return {"k": k, "ours": hit_summary(ours, k), "theirs": hit_summary(theirs, k)}


def plain_source(metadata: dict[str, Any], corpus: Path) -> str:
    path = Path(metadata.get("file_path", metadata.get("file_name", "")))
    try:
        return str(path.absolute().relative_to(corpus.absolute()))
    except ValueError:
        return path.name


def cold_rounds(ours_index: Path, theirs_index: Path | None, question: str, runs: int) -> dict[str, Any]:
    """New process to printed answer: `rag ask` vs a script that loads the persisted plain index."""
    ours, theirs = [], []
    for _ in range(runs):
        result = run_measured(
            [sys.executable, "-m", "ui.cli", "ask", question], bench_env(RAG_INDEX_DIR=str(ours_index))
        )
        if result["rc"] != 0 or not result["stdout"].strip():
            raise RuntimeError(f"rag ask failed: {result['stderr'][-2000:]}")
        ours.append(result)
        if theirs_index is not None:
            theirs.append(run_measured(worker_cmd("ask-theirs", str(theirs_index), question), bench_env()))
            last_json(theirs[-1])
    pick = lambda rs: {
        "wall_s": [round(r["wall_s"], 3) for r in rs],
        "wall_s_median": rounded(statistics.median(r["wall_s"] for r in rs), 3) if rs else None,
        "peak_rss_mb_max": rounded(max((r["peak_rss_mb"] for r in rs), default=None)),
    }
    return {"question": question, "ours": pick(ours), "theirs": pick(theirs), "answer": ours[0]["stdout"][:400]}


def help_runs(runs: int = 5) -> dict[str, Any]:
    walls = [run_measured([sys.executable, "-m", "ui.cli", "--help"], bench_env())["wall_s"] for _ in range(runs)]
    return {"wall_s": [round(w, 3) for w in walls], "wall_s_median": round(statistics.median(walls), 3)}


def post_ask(port: int, question: str, timeout: float = 120) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def serve_run(index: Path, questions: list[str], ready_timeout: float = 300) -> dict[str, Any]:
    """Start `rag serve` on a free loopback port, ask over POST /api/ask, read its RSS, stop it."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=bench_env(RAG_INDEX_DIR=str(index)), cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready_s = wait_ready(proc, port, started + ready_timeout) - started
        idle = proc_status_mb(proc.pid)
        ms = [timed_ms(lambda q=q: post_ask(port, q)) for q in questions]
        after = proc_status_mb(proc.pid)
    except Exception:
        log.seek(0)
        print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    return {
        "ready_s": round(ready_s, 2),
        "rss_idle_mb": round(idle["VmRSS"], 1),
        "rss_after_mb": round(after["VmRSS"], 1),
        "peak_rss_mb": round(after["VmHWM"], 1),
        "ask_over_http": latency(ms),
    }


def wait_ready(proc: subprocess.Popen, port: int, deadline: float) -> float:
    """Poll until the server answers HTTP; returns the perf_counter time it first did."""
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return time.perf_counter()
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("rag serve did not answer in time")


# --- the report ----------------------------------------------------------------------------------
def figure_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """(figure, unit, ours, theirs, better) rows; ratio = ours / theirs."""
    rows: list[tuple[str, str, str, Any, Any, str]] = []
    ing = r.get("ingest", {})
    o, t = ing.get("ours"), ing.get("theirs") or {}
    if o:
        arts = o["runs"][0]["articles"]
        rows += [
            (
                "ingest_chunks_per_s",
                "ingest throughput",
                "chunks/s",
                o["chunks_per_s"],
                t.get("chunks_per_s"),
                "higher",
            ),
            (
                "ingest_articles_per_s",
                "ingest throughput (same articles)",
                "articles/s",
                arts / o["ingest_s_median"],
                arts / t["ingest_s_median"] if t else None,
                "higher",
            ),
            ("ingest_chunks", "chunks made", "chunks", o["chunks"], t.get("chunks"), "info"),
            (
                "ingest_process_s",
                "ingest process, start to exit",
                "s",
                o["wall_s_median"],
                t.get("wall_s_median"),
                "lower",
            ),
            ("ingest_peak_rss_mb", "ingest peak RSS", "MB", o["peak_rss_mb_max"], t.get("peak_rss_mb_max"), "lower"),
            (
                "index_mb",
                "index size on disk",
                "MB",
                o["index_bytes"] / 2**20,
                t["index_bytes"] / 2**20 if t else None,
                "lower",
            ),
        ]
    emb = r.get("embedding")
    if emb:
        rows.append(("embedding_chunks_per_s", "embedding alone (same chunks)", "chunks/s",
                     emb["ours"]["chunks_per_s"], emb["theirs"]["chunks_per_s"], "higher"))
        rows.append(("embedding_chunks_per_cpu_s", "embedding alone, per CPU-second", "chunks/cpu-s",
                     emb["ours"]["chunks_per_cpu_s"], emb["theirs"]["chunks_per_cpu_s"], "higher"))
    q = r.get("warm_query")
    if q:
        for stat in ("p50_ms", "p95_ms"):
            rows.append(
                (
                    f"retrieve_{stat}",
                    f"warm retrieval {stat[:3]}",
                    "ms",
                    q["ours_retrieve"][stat],
                    q["theirs_retrieve"][stat],
                    "lower",
                )
            )
        for stat in ("p50_ms", "p95_ms"):
            rows.append((f"ask_{stat}", f"warm answer {stat[:3]} (ours extractive; theirs MockLLM engine)", "ms",
                         q["ours_ask"][stat], q["theirs_query_engine"][stat], "lower"))
        rows.append(("ask_cold_cache_p50_ms", "warm answer p50, sentence-vector cache emptied", "ms",
                     q["ours_ask_cold_cache"]["p50_ms"], q["theirs_query_engine"]["p50_ms"], "lower"))
        rows.append(("ask_cold_cache_p95_ms", "warm answer p95, sentence-vector cache emptied", "ms",
                     q["ours_ask_cold_cache"]["p95_ms"], q["theirs_query_engine"]["p95_ms"], "lower"))
        rows.append(("retrieve_cpu_p50_ms", "warm retrieval p50, CPU time", "cpu-ms", q["ours_retrieve"]["cpu_p50_ms"],
                     q["theirs_retrieve"]["cpu_p50_ms"], "lower"))
        rows.append(("ask_cpu_p50_ms", "warm answer p50, CPU time", "cpu-ms", q["ours_ask"]["cpu_p50_ms"],
                     q["theirs_query_engine"]["cpu_p50_ms"], "lower"))
    hits = r.get("hit_at_k")
    if hits:
        k = hits["k"]
        for key in ("hit@1", "hit@2", f"hit@{k}", "mrr"):
            rows.append(
                (
                    key.replace("@", "_at_"),
                    f"retrieval {key} (gold)",
                    "share",
                    hits["ours"][key],
                    hits["theirs"][key],
                    "higher",
                )
            )
    cold = r.get("cold_start")
    if cold:
        rows.append(("cold_ask_s", "cold ask: new process to printed answer", "s", cold["ours"]["wall_s_median"],
                     cold["theirs"]["wall_s_median"], "lower"))
        rows.append(
            (
                "cold_ask_peak_rss_mb",
                "cold ask peak RSS",
                "MB",
                cold["ours"]["peak_rss_mb_max"],
                cold["theirs"]["peak_rss_mb_max"],
                "lower",
            )
        )
    if r.get("serve"):
        rows.append(
            (
                "serve_peak_rss_mb",
                "`rag serve` peak RSS after questions",
                "MB",
                r["serve"]["peak_rss_mb"],
                None,
                "lower",
            )
        )
        rows.append(
            ("serve_ready_s", "`rag serve` start to first HTTP answer", "s", r["serve"]["ready_s"], None, "lower")
        )
    if r.get("help"):
        rows.append(("help_s", "`rag --help`", "s", r["help"]["wall_s_median"], None, "lower"))
    return [{"key": k, "figure": f, "unit": u, "ours": rounded(a, 3), "theirs": rounded(b, 3),
             "ratio": rounded(a / b, 3) if a is not None and b else None, "better": better}
            for k, f, u, a, b, better in rows]


def target_checks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {row["key"]: row for row in rows}
    if "embedding_chunks_per_s" in by_key:
        by_key["embedding_ratio"] = {"ours": by_key["embedding_chunks_per_s"]["ratio"]}
    checks = []
    for key, (op, bound, text) in TARGETS.items():
        value = by_key.get(key, {}).get("ours")
        met = (
            None
            if value is None
            else (value >= bound if op == ">=" else value <= bound if op == "<=" else value < bound)
        )
        checks.append({"target": text, "key": key, "value": value, "bound": f"{op} {bound:g}", "met": met})
    return checks


def format_table(rows: list[dict[str, Any]], checks: list[dict[str, Any]]) -> str:
    fmt = lambda v: "—" if v is None else f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    lines = [f"{'figure':58s} {'unit':>10s} {'ours':>10s} {'theirs':>10s} {'ours/theirs':>12s}"]
    for row in rows:
        lines.append(f"{row['figure'][:58]:58s} {row['unit']:>10s} {fmt(row['ours']):>10s} {fmt(row['theirs']):>10s} "
                     f"{fmt(row['ratio']):>12s}")
    lines.append("")
    for c in checks:
        state = {True: "met", False: "MISSED", None: "not measured"}[c["met"]]
        lines.append(f"target {c['target']}: {fmt(c['value'])} ({state})")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rag bench", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "data" / "corpus")
    parser.add_argument("--gold", type=Path, default=REPO / "eval" / "gold.jsonl")
    parser.add_argument("--questions", type=int, default=None, help="use only the first N gold questions")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds for ingest/embedding/queries")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--serve-questions", type=int, default=5)
    parser.add_argument("--k", type=int, default=5, help="k for hit@k (hit@1 and hit@2 are always reported)")
    parser.add_argument("--skip", default="", help=f"comma-separated parts to skip: {','.join(SKIPPABLE)}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--scale" in argv:  # the corpus-scale rows (issue 11) have their own module
        from eval.bench_scale import main as scale_main

        return scale_main([a for a in argv if a != "--scale"])
    args = parse_args(argv)
    os.environ.update(
        {
            k: v
            for k, v in bench_env().items()
            if k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ANONYMIZED_TELEMETRY", "TOKENIZERS_PARALLELISM")
        }
    )
    skip = {s for s in args.skip.split(",") if s}
    items = load_gold(args.gold, args.questions)
    questions = [i["question"] for i in items]
    corpus = args.corpus.absolute()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    report: dict[str, Any] = {
        "machine": machine(),
        "config": {
            "corpus": str(corpus),
            "gold": str(args.gold),
            "questions": len(questions),
            "rounds": args.rounds,
            "cold_runs": args.cold_runs,
            "k": args.k,
            "skip": sorted(skip),
            "their_top_k": THEIR_TOP_K,
        },
    }
    try:
        run_all(args, report, skip, items, questions, corpus, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["machine"]["loadavg_end"] = os.getloadavg()
    report["figures"] = figure_rows(report)
    report["targets"] = target_checks(report["figures"])
    (args.out / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    draw_chart(report["figures"], report.get("warm_query"), args.out / "bench.png")
    print(format_table(report["figures"], report["targets"]))
    print(f"\nwrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


def run_all(args: argparse.Namespace, report: dict[str, Any], skip: set[str], items: list[dict[str, Any]],
            questions: list[str], corpus: Path, work: Path) -> None:
    print(
        f"bench: {corpus} ({len(questions)} questions, {args.rounds} rounds); machine {report['machine']}", flush=True
    )
    report["ingest"] = ingest_rounds(corpus, work, args.rounds, theirs="ingest-theirs" not in skip)
    ours_index = Path(report["ingest"]["ours"]["index"])
    theirs_index = Path(report["ingest"]["theirs"]["index"]) if "theirs" in report["ingest"] else None
    from rag.api import Rag
    from rag.core.settings import load_settings

    rag = Rag(load_settings(index_dir=ours_index))
    plain_emb = plain_embedder()
    if "embedding" not in skip:
        print("  embedding throughput …", flush=True)
        report["embedding"] = embedding_rounds(chunk_texts(ours_index), rag.embedder, plain_emb, args.rounds)
    if theirs_index is not None:
        plain = load_plain_index(theirs_index, plain_emb)
        print("  warm queries and hit@k …", flush=True)
        report["warm_query"] = query_rounds(rag, plain, questions, args.rounds)
        report["hit_at_k"] = hit_rounds(rag, plain, items, corpus, args.k)
    if "cold" not in skip and args.cold_runs > 0:
        print("  cold starts …", flush=True)
        report["cold_start"] = cold_rounds(ours_index, theirs_index, questions[0], args.cold_runs)
    if "serve" not in skip:
        print("  rag serve …", flush=True)
        report["serve"] = serve_run(ours_index, (questions * 2)[: args.serve_questions])
    if "help" not in skip:
        report["help"] = help_runs()


if __name__ == "__main__":
    raise SystemExit(main())
