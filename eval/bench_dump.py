"""A JSON Lines dump of N articles through `rag ingest`: articles/s, peak RSS, and a resume check.

Why: a crawler's or a data set's export is one file of 10^5 articles. This writes a distinct
synthetic dump in news-please's shape (`eval.synthetic`'s varied news prose, one brief of about
`--words` body words a row), runs the real CLI on it in a subprocess, and samples the child's
RSS and the committed rows (the manifest, read-only) once a second, so the report shows whether
memory grows with the dump (it must not: rows are streamed) or only with the index.

With `--kill-at 0.5` the first run is SIGKILLed once half the rows have committed and a second
run finishes the job; the check is that the second run embeds exactly the rows that had not
committed (no finished batch redone; rows the cleaner rejects are reported again, never
committed) and skips the rest.

    python -m eval.bench_dump --articles 100000 --kill-at 0.5 [--out eval/reports/dump]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eval.measure import REPO, bench_env, dir_bytes, exec_done, machine, proc_status_mb
from eval.synthetic import OUTLETS, Varier, source_sentences

DEFAULT_OUT = REPO / "eval" / "reports" / "dump"
_SUMMARY = re.compile(r"documents: (\d+), articles: (\d+), chunks: (\d+), skipped: (\d+), duplicates: (\d+), "
                      r"removed: \d+, errors: (\d+)")
_EMBEDDER_SHARE = re.compile(r"\((\d+)% of the time\)")


def write_dump(path: Path, articles: int, words: int, seed: int) -> int:
    """`articles` distinct news briefs, one JSON object a line; returns the file's size in bytes."""
    rng = random.Random(seed)
    vary, pool = Varier(rng), source_sentences()
    with path.open("w", encoding="utf-8") as out:
        for number in range(articles):
            body: list[str] = []
            while sum(len(s.split()) for s in body) < words:
                body.append(vary(rng.choice(pool)))
            row = {
                "title": " ".join(body[0].split()[:10]).rstrip(",.;:"),
                "maintext": " ".join(body),
                "authors": [f"{rng.choice(vary.names)} {rng.choice(vary.names)}"],
                "date_publish": f"{rng.randint(2018, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 08:00:00",
                "source_domain": rng.choice(OUTLETS).lower().replace(" ", "") + ".example",
                "url": f"https://news.example/{number:07d}",
            }
            out.write(json.dumps(row) + "\n")
    return path.stat().st_size


def committed(manifest: Path) -> int:
    """Rows committed so far, read without writing (the ingest holds the database)."""
    if not manifest.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{manifest}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT count(*) FROM files").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def run_ingest(dump: Path, index: Path, kill_after: int | None, log: Path) -> dict[str, Any]:
    """One `rag ingest` of the dump, sampled once a second; SIGKILLed at `kill_after` commits."""
    manifest = index / "manifest.sqlite3"
    env = bench_env(RAG_INDEX_DIR=str(index))
    started = time.perf_counter()
    samples: list[dict[str, float]] = []
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(dump)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        peak, killed = 0.0, False
        while proc.poll() is None:
            status = proc_status_mb(proc.pid) if exec_done(proc.pid) else {}
            peak = max(peak, status.get("VmHWM", 0.0))
            rows = committed(manifest)
            samples.append({"s": round(time.perf_counter() - started, 1), "committed": rows,
                            "rss_mb": round(status.get("VmRSS", 0.0), 1)})
            if kill_after is not None and rows >= kill_after:
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(1.0)
        proc.wait()
    seconds = time.perf_counter() - started
    text = log.read_text(errors="replace")[-4000:]
    row: dict[str, Any] = {"seconds": round(seconds, 1), "rc": proc.returncode, "killed": killed,
                           "peak_rss_mb": round(peak, 1), "committed_after": committed(manifest),
                           "rss_timeline": samples[:: max(1, len(samples) // 40)]}
    summary = _SUMMARY.findall(text)
    if summary and not killed:
        documents, articles, chunks, skipped, duplicates, errors = map(int, summary[-1])
        row |= {"documents": documents, "articles": articles, "chunks": chunks, "skipped": skipped,
                "duplicates": duplicates, "errors": errors, "articles_per_s": round(documents / seconds, 1),
                "chunks_per_s": round(chunks / seconds, 1)}
        share = _EMBEDDER_SHARE.findall(text)
        row["share_inside_embedder"] = int(share[-1]) / 100 if share else None
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--words", type=int, default=60, help="body words per article (about one chunk)")
    parser.add_argument("--kill-at", type=float, default=None, help="kill the first run at this share committed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    work = args.out / f"dump-{args.articles}"
    work.mkdir(parents=True, exist_ok=True)
    dump, index, log = work / "articles.jsonl", work / "index", work / "ingest.log"
    shutil.rmtree(index, ignore_errors=True)
    log.unlink(missing_ok=True)
    report: dict[str, Any] = {"machine": machine(), "articles": args.articles, "words": args.words,
                              "dump_bytes": write_dump(dump, args.articles, args.words, args.seed)}
    kill_after = round(args.articles * args.kill_at) if args.kill_at else None
    report["runs"] = [run_ingest(dump, index, kill_after, log)]
    if kill_after is not None:
        done = report["runs"][0]["committed_after"]
        resumed = run_ingest(dump, index, None, log)
        report["runs"].append(resumed)
        # Rows the cleaner rejects are never committed, so every run reports them again.
        left = args.articles - done - resumed.get("errors", 0)
        report["resume"] = {"committed_before": done, "embedded_after": resumed.get("documents"),
                            "skipped_after": resumed.get("skipped"), "rejected_rows": resumed.get("errors"),
                            "redid_no_batch": resumed.get("documents") == left and resumed.get("skipped") == done}
    total = sum(r["seconds"] for r in report["runs"])
    report["articles_per_s_overall"] = round(args.articles / total, 1)
    report["index_bytes"] = dir_bytes(index)
    (work / "bench-dump.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "runs"} |
                     {"runs": [{k: v for k, v in r.items() if k != "rss_timeline"} for r in report["runs"]]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
