"""The benchmark and the scale script run end to end on a tiny input and write their JSON.

Timings are printed by the scripts, never asserted: this machine is shared and figures vary.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_CORPUS

TWO_FILES = ("foxnews-us-china-fentanyl-talks-2024-01-30.txt", "china-us-talks-tackle-fentanyl-crisis-rewrite.txt")


def test_bench_writes_report(tmp_path: Path) -> None:
    from eval.bench import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in TWO_FILES:
        shutil.copy(SAMPLE_CORPUS / name, corpus / name)
    out = tmp_path / "bench"
    args = [
        "--corpus",
        str(corpus),
        "--questions",
        "2",
        "--rounds",
        "1",
        "--skip",
        "cold,serve,help",
        "--out",
        str(out),
    ]

    assert main(args) == 0

    report = json.loads((out / "bench.json").read_text())
    assert {"machine", "config", "ingest", "embedding", "warm_query", "hit_at_k", "figures", "targets"} <= set(report)
    assert {"ours", "theirs"} <= set(report["ingest"])
    assert {"ours_retrieve", "ours_ask", "theirs_retrieve", "theirs_query_engine"} <= set(report["warm_query"])
    keys = {row["key"] for row in report["figures"]}
    assert {"ingest_chunks_per_s", "embedding_chunks_per_s", "retrieve_p50_ms", "ask_p50_ms", "hit_at_2"} <= keys
    assert all({"ours", "theirs", "ratio", "unit"} <= set(row) for row in report["figures"])
    assert (out / "bench.png").stat().st_size > 0


def test_scale_writes_report(tmp_path: Path) -> None:
    from eval.scale import main

    out = tmp_path / "scale"
    assert main(["--sizes", "200", "--embedder", "hashed", "--queries", "3", "--answers", "1", "--out", str(out)]) == 0

    rows = json.loads((out / "scale-hashed.json").read_text())["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert {"chunks", "ingest_s", "ingest_peak_rss_mb", "retrieve", "ask", "query_peak_rss_mb", "index_mb"} <= set(row)
    assert {"p50_ms", "p95_ms"} <= set(row["retrieve"])
    assert row["chunks"] > 0
    assert (out / "scale.png").stat().st_size > 0


def test_synthetic_chunks_are_distinct(tmp_path: Path) -> None:
    from eval.synthetic import make_corpus

    stats = make_corpus(tmp_path / "c", chunks=80, seed=3)
    texts = [p.read_text() for p in sorted((tmp_path / "c").glob("*.txt"))]
    assert len(texts) == stats.files == 10
    assert len(set(texts)) == len(texts)
    assert stats.distinct_sentences / stats.sentences > 0.9


def test_bench_scale_writes_rows_beside_llama_index(tmp_path: Path) -> None:
    """`rag bench --scale` on three short passages cut from front-matter articles (kill trials off)."""
    from eval.bench import main

    source = tmp_path / "rtqa"
    source.mkdir()
    body = " ".join(f"The harbor council met on day {d} and agreed to review the ferry budget." for d in range(30))
    for n in range(4):
        (source / f"a{n}.txt").write_text(f"---\ntitle: Harbor story {n}\ndate: 2024-01-0{n + 1}\n---\n{body}\n")
    out = tmp_path / "bench-scale"
    args = ["--scale", "--rtqa-corpus", str(source), "--short-passages", "3", "--skip", "long", "--kill-trials", "0",
            "--scale-report", str(tmp_path / "none.json"), "--out", str(out)]

    assert main(args) == 0

    report = json.loads((out / "bench-scale.json").read_text())
    passages = sorted((out / "work" / "short-corpus").glob("*.txt"))
    assert len(passages) == 3 and all(len(p.read_text().split("---")[-1].split()) <= 90 for p in passages)
    figures = [row["figure"] for row in report["rows"]]
    whole = next(row for row in report["rows"] if "whole `rag ingest` process" in row["figure"])
    assert whole["ours"] > 0 and whole["theirs"] > 0
    # each figure is rounded to 0.01 s, so a ratio over a time near 0.4 s may differ from it by ~2%
    assert whole["ratio"] == pytest.approx(whole["ours"] / whole["theirs"], rel=0.05)
    assert any("word pieces embedded per second" in figure for figure in figures)


def test_reliability_figures_find_the_test_suite_from_any_directory(tmp_path: Path) -> None:
    """`rag bench --scale` runs the crash trials of tests/ wherever it is started (it crashed with
    ModuleNotFoundError: tests when run outside the checkout)."""
    import subprocess
    import sys

    code = ("from eval.reliability import use_test_suite; use_test_suite(); "
            "import tests.test_crash_safety as t; print(t.run_trials.__name__)")
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "run_trials"
