"""Replicas of one Chroma server at scale: a fresh replica's start-up, and an ingest's way to it.

Why: a replica on another machine has nothing but the server (`rag.index.committed.ServerIndex`):
its first answer downloads the published keyword index, and every ingest elsewhere reaches it by a
new publication. What grows with the corpus is that download, so it is measured on a synthetic
corpus of ~100k chunks (`eval.synthetic`, as `eval.scale`).

Each step is a fresh process, so times and peak RSS are its own: `chroma run` on an empty folder;
the corpus ingested through it (the ingester's own `RAG_INDEX_DIR`); a replica with an empty
`RAG_INDEX_DIR` (time from its start to its first answer, libraries' imports apart; its peak RSS;
warm retrieval and answers); then, while that replica keeps asking, one new article ingested by
the ingester and the time until the replica answers from it, and the article's removal likewise.

    python -m eval.bench_replicas --chunks 100000 [--embedder onnx|hashed] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from eval.measure import (
    REPO,
    bench_env,
    dir_bytes,
    free_port,
    last_json,
    latency,
    machine,
    proc_status_mb,
    run_measured,
    timed_ms,
)
from eval.scale import corpus_for, gold_questions, make_embedder

DEFAULT_OUT = REPO / "eval" / "reports" / "replicas"
PROBE = ("Quokka census on Rottnest\n\nRangers counted 12,400 quokkas on Rottnest Island this spring, "
         "the island authority said on Monday.\n")
PROBE_QUESTION = "How many quokkas did rangers count on Rottnest Island?"
PROBE_FILE = "quokka-census.txt"
WATCH_TIMEOUT_S = 900.0


# --- workers (fresh subprocesses) ----------------------------------------------------------------
def worker_ingest(corpus: Path, index: Path, url: str, kind: str) -> dict[str, Any]:
    started = time.perf_counter()
    from ingest.pipeline import ingest_path
    from rag.core.settings import load_settings

    settings = load_settings(index_dir=index, chroma_url=url)
    embedder = make_embedder(kind, settings)
    embedder.get_text_embedding_batch(["warm up"])
    loaded = time.perf_counter()
    report = ingest_path(corpus, settings, embedder=embedder, progress=False)
    return {"files": report.files, "removed": report.removed, "chunks": report.chunks, "errors": len(report.errors),
            "setup_s": loaded - started, "ingest_s": time.perf_counter() - loaded, "embed_s": report.embed_seconds,
            "write_s": report.write_seconds, "publish_s": report.keyword_seconds, "finished_at": time.time()}


def worker_replica(index: Path, url: str, kind: str, count: int, answers: int) -> None:
    """Start-up and warm figures, then watch for the probe article to come and to go (JSON lines)."""
    started = time.perf_counter()
    import chromadb  # noqa: F401
    import llama_index.core  # noqa: F401
    import onnxruntime  # noqa: F401

    from rag.api import Rag
    from rag.core.settings import load_settings

    imports_ms = (time.perf_counter() - started) * 1000
    settings = load_settings(index_dir=index, chroma_url=url)
    rag = Rag(settings, embedder=make_embedder(kind, settings))
    questions = gold_questions(count)
    first_retrieve_ms = timed_ms(lambda: rag.retrieve(questions[0]))  # downloads and maps the keyword index
    retrieve_rss = proc_status_mb(os.getpid())
    first_ms = timed_ms(lambda: rag.ask(questions[0]))  # loads the reader's models
    first_rss = proc_status_mb(os.getpid())
    clear = rag.retriever.embed_query.cache_clear
    retrieve, ask = [], []
    for q in questions:
        clear()
        retrieve.append(timed_ms(lambda q=q: rag.retrieve(q)))
    for q in questions[:answers]:
        clear()
        ask.append(timed_ms(lambda q=q: rag.ask(q)))
    _say({"imports_ms": round(imports_ms, 1), "first_retrieve_ms": round(first_retrieve_ms, 1),
          "first_retrieve_rss_mb": retrieve_rss.get("VmHWM"), "first_answer_ms": round(first_ms, 1),
          "first_answer_rss_mb": first_rss.get("VmHWM"), "retrieve": latency(retrieve), "ask": latency(ask),
          "chunks": rag.retriever.snapshot().size, "cache_mb": round(dir_bytes(settings.published_cache) / 2**20, 1),
          "rss_mb": proc_status_mb(os.getpid()), "refresh_s": settings.replica_refresh_s, "ready": True})
    for present in (True, False):
        deadline = time.monotonic() + WATCH_TIMEOUT_S
        while time.monotonic() < deadline:
            answer = rag.ask(PROBE_QUESTION)
            if any(c.source == PROBE_FILE for c in answer.citations) == present:
                _say({"present": present, "at": time.time(), "answer_ms": answer.timings_ms.get("total"),
                      "rss_mb": proc_status_mb(os.getpid())})
                break
            time.sleep(0.25)


def _say(row: dict[str, Any]) -> None:
    print(json.dumps(row), flush=True)


def run_worker(args: list[str]) -> int:
    kind, rest = args[0], args[1:]
    if kind == "ingest":
        print(json.dumps(worker_ingest(Path(rest[0]), Path(rest[1]), rest[2], rest[3])))
    elif kind == "replica":
        worker_replica(Path(rest[0]), rest[1], rest[2], int(rest[3]), int(rest[4]))
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    return 0


def worker_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "eval.bench_replicas", "--worker", *args]


# --- the run -------------------------------------------------------------------------------------
def start_chroma(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    with log.open("ab") as out:
        proc = subprocess.Popen([str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chroma gave no heartbeat in 60 s")


def read_row(stream: IO[str]) -> dict[str, Any]:
    for line in stream:
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("the replica exited before reporting")


def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus, stats = corpus_for(args.chunks, args.corpora, args.seed)
    work = args.work / f"{args.embedder}-{args.chunks}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    chroma, url = start_chroma(work / "chroma-data", work / "chroma.log")
    env = bench_env()
    try:
        print(f"ingesting {stats['files']} files through {url} …", flush=True)
        ingest = run_measured(worker_cmd("ingest", str(corpus), str(work / "ingester"), url, args.embedder), env,
                              timeout=6 * 3600)
        ingested = last_json(ingest) | {"wall_s": ingest["wall_s"], "peak_rss_mb": ingest["peak_rss_mb"]}
        published = work / "ingester" / "keyword"
        row: dict[str, Any] = {"chunks_target": args.chunks, "embedder": args.embedder, "corpus": stats,
                               "ingest": ingested, "server_mb": round(dir_bytes(work / "chroma-data") / 2**20, 1),
                               "keyword_folder_mb": round(dir_bytes(published) / 2**20, 1)}
        print(f"  {ingested['chunks']} chunks in {ingested['ingest_s']:.0f} s; starting a replica …", flush=True)
        row |= watch_replica(work, url, args, env)
        return row
    finally:
        chroma.send_signal(signal.SIGTERM)
        chroma.wait(timeout=60)


def watch_replica(work: Path, url: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    started = time.time()
    replica = subprocess.Popen(worker_cmd("replica", str(work / "replica"), url, args.embedder, str(args.queries),
                                          str(args.answers)),
                               env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert replica.stdout is not None
        ready = read_row(replica.stdout) | {"process_start_to_ready_s": round(time.time() - started, 1)}
        peak = proc_status_mb(replica.pid).get("VmHWM")
        print(f"  replica: first retrieve {ready['first_retrieve_ms']:.0f} ms, first answer "
              f"{ready['first_answer_ms']:.0f} ms, peak RSS {peak:.0f} MB", flush=True)
        probe = work / "probe"
        probe.mkdir()
        (probe / PROBE_FILE).write_text(PROBE, encoding="utf-8")
        added = last_json(run_measured(worker_cmd("ingest", str(probe), str(work / "ingester"), url, args.embedder),
                                       env))
        seen = read_row(replica.stdout)
        (probe / PROBE_FILE).unlink()
        removed = last_json(run_measured(worker_cmd("ingest", str(probe), str(work / "ingester"), url,
                                                    args.embedder), env))
        gone = read_row(replica.stdout)
        return {"replica": ready | {"peak_rss_after_warm_mb": peak},
                "probe_ingest": added, "probe_seen": seen,
                "added_to_answered_s": round(seen["at"] - added["finished_at"], 2),
                "probe_removal": removed, "probe_gone": gone,
                "removed_to_gone_s": round(gone["at"] - removed["finished_at"], 2),
                "replica_peak_rss_mb": proc_status_mb(replica.pid).get("VmHWM")}
    finally:
        replica.kill()
        replica.wait(timeout=60)


def format_row(row: dict[str, Any]) -> str:
    r, ing = row["replica"], row["ingest"]
    probe = row["probe_ingest"]
    lines = (
        (f"chunks {r['chunks']:,}; ingest through the server {ing['ingest_s']:.0f} s "
         f"(publication {ing['publish_s']:.1f} s), peak RSS {ing['peak_rss_mb']:.0f} MB; "
         f"server data {row['server_mb']:.0f} MB; keyword folder {row['keyword_folder_mb']:.0f} MB"),
        (f"fresh replica: imports {r['imports_ms']:.0f} ms, first retrieve {r['first_retrieve_ms']:.0f} ms "
         f"(RSS {r['first_retrieve_rss_mb']:.0f} MB), then first answer {r['first_answer_ms']:.0f} ms "
         f"(RSS {r['first_answer_rss_mb']:.0f} MB); downloaded {r['cache_mb']:.0f} MB; "
         f"warm retrieval p50 {r['retrieve']['p50_ms']} ms, ask p50 {r['ask']['p50_ms']} ms"),
        (f"one article: ingest {probe['ingest_s']:.1f} s (publication {probe['publish_s']:.1f} s), answered by "
         f"the replica {row['added_to_answered_s']:.2f} s after the ingest ended; removal reached it "
         f"{row['removed_to_gone_s']:.2f} s after"),
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_replicas", description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100000, help="target chunk count of the synthetic corpus")
    parser.add_argument("--embedder", choices=("onnx", "hashed"), default="onnx")
    parser.add_argument("--queries", type=int, default=50, help="gold questions timed for warm retrieval")
    parser.add_argument("--answers", type=int, default=20, help="of those, how many also get an answer")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--corpora", type=Path, default=None, help="where synthetic corpora are kept")
    parser.add_argument("--work", type=Path, default=None, help="where the server and index folders go")
    parser.add_argument("--worker", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return run_worker(args.worker)
    args.corpora = args.corpora or args.out / "corpora"
    args.work = args.work or args.out / "work"
    args.out.mkdir(parents=True, exist_ok=True)
    row = run(args) | {"machine": machine()}
    path = args.out / f"replicas-{args.embedder}-{args.chunks}.json"
    path.write_text(json.dumps(row, indent=2))
    print(format_row(row))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
