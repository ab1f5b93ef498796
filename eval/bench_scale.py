"""`rag bench --scale`: the corpus-scale rows of issue 11, ours beside plain llama-index.

Why: the sample corpus (5 files) says nothing about the costs that grow with a corpus: one
Chroma write per file, the whole collection pulled out at start-up. These rows are measured on
real news text (RealTime QA, imported locally; nothing of it is committed):

* 989 short passages, one file each (the lead of each of the first 989 corpus articles, about
  80 words): our whole `rag ingest` process against llama-index's `from_documents` timed after
  its model load;
* 500 full-length articles (the first 500 corpus files): both timed after the model load, and
  ours as a whole process too;
* first retrieve in a fresh process and warm retrieval p50, taken from an `eval.scale` report;
  theirs at the same size is llama-index's default persisted store over our own chunks and
  vectors (`plain-from-ours`: nothing re-embedded), loaded by a fresh process;
* the SIGKILL trials of `tests/test_crash_safety.py` (via `eval.reliability`'s runner).

Rounds alternate ours and theirs so a busy neighbour slows both alike.

    rag bench --scale --rtqa-corpus DIR [--scale-report eval/reports/scale/scale-onnx.json]
              [--plain-index 10000=INDEX,...] [--kill-trials 20] [--rounds 1] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from eval.bench_workers import worker_cmd
from eval.measure import REPO, bench_env, last_json, machine, run_measured

DEFAULT_OUT = REPO / "eval" / "reports" / "bench-scale"
SHORT_PASSAGES, SHORT_WORDS, LONG_ARTICLES = 989, 80, 500
_HEADER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_PIECES = re.compile(r"embedded ([\d,]+) word pieces: ([\d,]+)/s over the whole ingest, ([\d,]+)/s inside")


# --- corpora (built from a local RealTime QA import, never committed) -----------------------------
def short_passages(source: Path, out: Path, count: int = SHORT_PASSAGES, words: int = SHORT_WORDS) -> Path:
    """One file per article: its front matter and its first whole sentences, about `words` words."""
    from rag.core.text import split_sentences

    if out.is_dir() and len(list(out.iterdir())) == count:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    made = 0
    for file in sorted(source.glob("*.txt")):
        text = file.read_text(encoding="utf-8")
        header = _HEADER.match(text)
        body = text[header.end():] if header else text
        paragraphs = [p.strip() for p in body.split("\n\n") if len(p.split()) >= 8]  # no lone datelines
        kept: list[str] = []
        for sentence in split_sentences(" ".join(paragraphs)):
            if kept and sum(len(s.split()) for s in kept) + len(sentence.split()) > words:
                break
            kept.append(sentence.strip())
        if not kept:
            continue
        (out / file.name).write_text((header.group(0) if header else "") + " ".join(kept) + "\n", encoding="utf-8")
        made += 1
        if made == count:
            break
    return out


def long_articles(source: Path, out: Path, count: int = LONG_ARTICLES) -> Path:
    """The first `count` corpus files, whole."""
    if not (out.is_dir() and len(list(out.iterdir())) == count):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for file in sorted(source.glob("*.txt"))[:count]:
            shutil.copyfile(file, out / file.name)
    return out


# --- ingest rounds ----------------------------------------------------------------------------------
def ours_cli(corpus: Path, index: Path) -> dict[str, Any]:
    """The whole `rag ingest` process, start to exit, with the word-piece rates its summary prints."""
    shutil.rmtree(index, ignore_errors=True)
    result = run_measured([sys.executable, "-m", "ui.cli", "ingest", str(corpus)], bench_env(RAG_INDEX_DIR=str(index)),
                          timeout=4 * 3600)
    if result["rc"] != 0:
        raise RuntimeError(f"rag ingest failed: {result['stderr'][-2000:]}")
    summary = result["stdout"].strip().splitlines()
    row: dict[str, Any] = {"process_s": result["wall_s"], "peak_rss_mb": result["peak_rss_mb"], "summary": summary}
    counts = re.search(r"chunks: (\d+).*\(([\d.]+) s\)", result["stdout"])
    if counts:
        row |= {"chunks": int(counts.group(1)), "ingest_s": float(counts.group(2))}
    pieces = _PIECES.search(result["stdout"])
    if pieces:
        row |= {k: int(v.replace(",", "")) for k, v in zip(("word_pieces", "pieces_per_s", "embedder_pieces_per_s"),
                                                           pieces.groups())}
    return row


def theirs_worker(corpus: Path, index: Path) -> dict[str, Any]:
    shutil.rmtree(index, ignore_errors=True)
    result = run_measured(worker_cmd("ingest-theirs", str(corpus), str(index)), bench_env(), timeout=4 * 3600)
    return last_json(result) | {"process_s": result["wall_s"], "peak_rss_mb": result["peak_rss_mb"]}


def ingest_rows(name: str, corpus: Path, work: Path, rounds: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "theirs": []}
    for i in range(rounds):
        runs["ours"].append(ours_cli(corpus, work / f"{name}-ours-{i}"))
        print(f"  {name} ours round {i + 1}: {runs['ours'][-1]['process_s']:.1f} s process", flush=True)
        runs["theirs"].append(theirs_worker(corpus, work / f"{name}-theirs-{i}"))
        print(f"  {name} theirs round {i + 1}: {runs['theirs'][-1]['ingest_s']:.1f} s after model load", flush=True)
    return runs


# --- first retrieve of the plain pipeline at scale -------------------------------------------------
def plain_first_retrieve(plain_index: Path, question: str) -> dict[str, Any]:
    result = run_measured(worker_cmd("first-retrieve-theirs", str(plain_index), question), bench_env(), timeout=3600)
    return last_json(result) | {"peak_rss_mb": result["peak_rss_mb"]}


# --- the table --------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


def table(report: dict[str, Any], short: int = SHORT_PASSAGES, long: int = LONG_ARTICLES) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, label in (("short", f"{short} short passages, one file each"), ("long", f"{long} full-length articles")):
        runs = report.get("ingest", {}).get(name)
        if not runs:
            continue
        ours_process = median([r["process_s"] for r in runs["ours"]])
        ours_ingest = median([r["ingest_s"] for r in runs["ours"]])
        theirs = median([r["ingest_s"] for r in runs["theirs"]])
        chunks = f"{runs['ours'][0].get('chunks')} chunks / {runs['theirs'][0].get('chunks')} nodes"
        rows.append({"figure": f"{label}: whole `rag ingest` process vs theirs after model load ({chunks})",
                     "unit": "s", "ours": ours_process, "theirs": theirs, "ratio": ours_process / theirs})
        rows.append({"figure": f"{label}: ingest after model load, both", "unit": "s", "ours": ours_ingest,
                     "theirs": theirs, "ratio": ours_ingest / theirs})
        last = runs["ours"][-1]
        if "pieces_per_s" in last:
            rows.append({"figure": f"{label}: word pieces embedded per second, whole ingest / embedder alone",
                         "unit": "pieces/s", "ours": last["pieces_per_s"], "theirs": None,
                         "ratio": last["pieces_per_s"] / last["embedder_pieces_per_s"]})
        rows.append({"figure": f"{label}: ingest peak RSS", "unit": "MB",
                     "ours": max(r["peak_rss_mb"] for r in runs["ours"]),
                     "theirs": max(r["peak_rss_mb"] for r in runs["theirs"]), "ratio": None})
    plain = report.get("plain_first_retrieve", {})
    for r in report.get("scale_rows", []):
        size = r["chunks"]
        theirs_row = plain.get(str(r["target_chunks"]), {})
        embedder = "" if r["embedder"] == "onnx" else f" ({r['embedder']} stand-in embedder)"
        rows.append({"figure": f"first retrieve in a fresh process, {size:,} chunks{embedder}", "unit": "ms",
                     "ours": r["first_retrieve_ms"], "theirs": theirs_row.get("first_retrieve_ms"), "ratio": None})
        rows.append({"figure": f"fresh process RSS after its first query, {size:,} chunks{embedder}", "unit": "MB",
                     "ours": r.get("first_query_rss_mb"), "theirs": theirs_row.get("peak_rss_mb"), "ratio": None})
        rows.append({"figure": f"warm retrieval p50 / p95, {size:,} chunks{embedder}", "unit": "ms",
                     "ours": f"{r['retrieve']['p50_ms']} / {r['retrieve']['p95_ms']}",
                     "theirs": theirs_row.get("warm_p50_ms"), "ratio": None})
    crash = report.get("crash")
    if crash:
        rows.append({"figure": "SIGKILL trials: consistent after the kill and after the re-ingest", "unit": "trials",
                     "ours": f"{crash['trials'] - crash['inconsistent_after_reingest']} of {crash['trials']} "
                             f"({crash['killed_mid_run']} killed mid-run, {crash['passages_checked_after_kill']} "
                             f"passages checked, {crash['inconsistent_after_kill']} inconsistent after a kill)",
                     "theirs": None, "ratio": None})
    for row in rows:
        for key in ("ours", "theirs", "ratio"):
            if isinstance(row[key], float):
                row[key] = round(row[key], 2)
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = ["| figure | unit | ours | llama-index | ours/theirs |", "|---|---|---:|---:|---:|"]
    for r in rows:
        cells = ["—" if r[k] is None else str(r[k]) for k in ("ours", "theirs", "ratio")]
        lines.append(f"| {r['figure']} | {r['unit']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def crash_summary_from_log(log: Path) -> dict[str, Any]:
    """The summary line `python -m eval.reliability` prints, `{"crash": {...}}`, from its output."""
    lines = [line for line in log.read_text().splitlines() if line.startswith('{"crash"')]
    if not lines:
        raise ValueError(f"{log}: no kill-trial summary line")
    return dict(json.loads(lines[-1])["crash"])


def crash_trials(trials: int, work: Path) -> dict[str, Any]:
    from eval.reliability import crash_figures
    from rag.core.settings import Settings
    from rag.embed.choose import get_embedder

    work.mkdir(parents=True, exist_ok=True)
    return crash_figures(work, trials, 20240130, get_embedder(Settings()))["summary"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rag bench --scale", description=__doc__.splitlines()[0])
    parser.add_argument("--rtqa-corpus", type=Path, default=None, help="an imported RealTime QA corpus folder")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--short-passages", type=int, default=SHORT_PASSAGES)
    parser.add_argument("--long-articles", type=int, default=LONG_ARTICLES)
    parser.add_argument("--skip", default="", help="comma-separated: short,long,kill")
    parser.add_argument("--scale-report", type=Path, nargs="*",
                        default=[REPO / "eval" / "reports" / "scale" / "scale-onnx.json"])
    parser.add_argument("--plain-index", default="", help="SIZE=DIR,...: plain llama-index stores (plain-from-ours)")
    parser.add_argument("--question", default="Who led the U.S. delegation to Beijing?")
    parser.add_argument("--kill-trials", type=int, default=20)
    parser.add_argument("--crash-summary", type=Path, default=None,
                        help="with --kill-trials 0: the output of a `python -m eval.reliability` run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "work"
    path = args.out / "bench-scale.json"
    earlier = json.loads(path.read_text()) if path.exists() else {}
    report: dict[str, Any] = {"machine": machine(), "ingest": {}}
    for name in ("short", "long"):  # a skipped corpus keeps the rows of the last run written here
        if name in skip and name in earlier.get("ingest", {}):
            report["ingest"][name] = earlier["ingest"][name]
    if args.rtqa_corpus:
        corpora = {"short": lambda: short_passages(args.rtqa_corpus, work / "short-corpus", args.short_passages),
                   "long": lambda: long_articles(args.rtqa_corpus, work / "long-corpus", args.long_articles)}
        for name, make in corpora.items():
            if name not in skip:
                report["ingest"][name] = ingest_rows(name, make(), work, args.rounds)
                path.write_text(json.dumps(report, indent=1))
    for scale_report in args.scale_report:
        if scale_report.exists():
            report.setdefault("scale_rows", []).extend(json.loads(scale_report.read_text())["rows"])
    report["plain_first_retrieve"] = earlier.get("plain_first_retrieve", {})
    for spec in filter(None, args.plain_index.split(",")):
        size, folder = spec.split("=", 1)
        report.setdefault("plain_first_retrieve", {})[size] = plain_first_retrieve(Path(folder), args.question)
        path.write_text(json.dumps(report, indent=1))
    if "kill" not in skip and args.kill_trials > 0:
        report["crash"] = crash_trials(args.kill_trials, work / "kill")
    elif args.crash_summary:
        report["crash"] = crash_summary_from_log(args.crash_summary)
    elif "crash" in earlier:
        report["crash"] = earlier["crash"]
    report["rows"] = table(report, args.short_passages, args.long_articles)
    path.write_text(json.dumps(report, indent=1))
    print(format_rows(report["rows"]))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
