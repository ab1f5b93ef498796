"""Memory and outcomes with many chats at once on the local model: is memory bounded?

Why: the model answers one question at a time (`rag.generate.queue.ModelQueue`); the rest wait in
a bounded line or fall back to the extractive answer. What must not happen is memory growing with
the number of chats (a second model load, a context per user, buffered streams). This starts
`rag serve` with `RAG_LLM=local` over an index, sends N questions from the sample gold set at
once to `POST /api/ask`, samples the RSS of the server and of its children (the model server, the
NER helper) every 0.25 s, and prints JSON: peak RSS of each before and under load, how many chats
the model answered, how many fell back and why, and the time each took.

    python -m eval.bench_chats --index DIR [--chats 16] [--out eval/reports/chats.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Self

import httpx

from eval.goldset import load_set
from eval.measure import REPO, bench_env, free_port, latency, machine, proc_status_mb


def children(pid: int) -> list[int]:
    """Direct children of `pid` (the model server is a child of `rag serve`)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class RssSampler:
    """Peak RSS of a process and of its children (the model server, the NER helper), sampled on a thread."""

    def __init__(self, pid: int, every_s: float = 0.25) -> None:
        self.pid, self.every_s = pid, every_s
        self.peak = {"server_mb": 0.0, "children_mb": 0.0, "total_mb": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def sample(self) -> dict[str, float]:
        server = proc_status_mb(self.pid).get("VmRSS", 0.0)
        kids = sum(proc_status_mb(c).get("VmRSS", 0.0) for c in children(self.pid))
        return {"server_mb": server, "children_mb": kids, "total_mb": server + kids}

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            for name, value in self.sample().items():
                self.peak[name] = max(self.peak[name], round(value, 1))


def wait_healthy(url: str, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"rag serve at {url} did not become healthy in {timeout_s:.0f} s")


def ask(url: str, question: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        reply = httpx.post(f"{url}/api/ask", json={"question": question}, timeout=600)
        body = reply.json() if reply.status_code == 200 else {}
        outcome = {"status": reply.status_code, "mode": body.get("mode"), "notice": body.get("notice", "")}
    except httpx.HTTPError as exc:
        outcome = {"status": None, "mode": None, "notice": f"{type(exc).__name__}: {exc}"}
    return {**outcome, "s": round(time.perf_counter() - started, 2)}


def run(index: Path, chats: int, log: Path) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = bench_env(RAG_INDEX_DIR=str(index), RAG_LLM="local")
    questions = [item.question for item in load_set("sample").items if not item.history]
    with log.open("ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)],
                                  cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url)
        warm = ask(url, questions[0])  # the model server starts and loads on the first question
        with RssSampler(server.pid) as rss:
            time.sleep(1)
            idle = rss.sample()
            results: list[dict[str, Any]] = [{} for _ in range(chats)]

            def chat(i: int) -> None:
                results[i] = ask(url, questions[i % len(questions)])

            threads = [threading.Thread(target=chat, args=(i,)) for i in range(chats)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        return {
            "machine": machine(), "chats": chats, "warm_up": warm,
            "idle_after_warm_up": idle, "peak_under_load": rss.peak,
            "answered_by_model": sum(r["mode"] == "llm" for r in results),
            "fell_back_busy": sum("model is busy" in (r["notice"] or "") for r in results),
            "fell_back_other": sum(r["mode"] == "extractive" and "model is busy" not in (r["notice"] or "")
                                   for r in results),
            "errors": [r for r in results if r["status"] != 200],
            "ms": latency([r["s"] * 1000 for r in results]), "wall_s": round(wall, 1),
            "child_processes": len(children(server.pid)),
        }
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX_DIR", ".rag")))
    parser.add_argument("--chats", type=int, default=16)
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "reports" / "chats.json")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figures = run(args.index, args.chats, args.out.with_suffix(".log"))
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
