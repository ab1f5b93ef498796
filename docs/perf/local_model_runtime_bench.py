"""Measure a llama.cpp runtime serving the local model over HTTP: load time, prompt and generation
tokens/s on a ~1,000-token prompt, first-token time on a short prompt, resident memory.

Standard library only, so it runs in a scratch venv that holds nothing but the runtime:

    python docs/perf/local_model_runtime_bench.py --runtime xllamacpp --python /tmp/venv-x/bin/python \
        --model ~/.cache/news-rag/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

Both runtimes run as a child process with the same settings (2 threads, 4,096-token context, one
slot, prompt cache on), as the app runs them. Results: docs/perf/local-model-runtime.md.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
XLLAMACPP_SERVER = """
import sys, time, xllamacpp
p = xllamacpp.CommonParams()
p.model.path = sys.argv[1]; p.model_alias = {"local"}; p.port = int(sys.argv[2]); p.hostnames = ["127.0.0.1"]
p.n_ctx = 4096; p.n_parallel = 1; p.cpuparams.n_threads = p.cpuparams_batch.n_threads = 2
p.cache_prompt = True; p.cache_ram_mib = 256
s = xllamacpp.Server(p)
while True: time.sleep(3600)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", choices=["xllamacpp", "llama-cpp-python"], required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    port = _free_port()
    if args.runtime == "xllamacpp":
        cmd = [args.python, "-c", XLLAMACPP_SERVER, args.model, str(port)]
    else:
        cmd = [args.python, "-m", "llama_cpp.server", "--model", args.model, "--model_alias", "local",
               "--n_threads", "2", "--n_threads_batch", "2", "--n_ctx", "4096", "--host", "127.0.0.1",
               "--port", str(port)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the `finally` that stops the server
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(port)
        load_s = time.monotonic() - t0
        result = {"runtime": args.runtime, "load_s": round(load_s, 2), **_measure(port, args.runs)}
        result.update(_memory(proc.pid))
        print(json.dumps(result, indent=1))
    finally:
        proc.kill()
        proc.wait()


def _measure(port: int, runs: int) -> dict[str, object]:
    corpus = sorted((REPO / "data" / "corpus").glob("*.txt"))
    text = " ".join(p.read_text() for p in corpus)
    words = text.split()
    prompt_tps, gen_tps, ttft_short, prompt_tokens = [], [], [], 0
    for run in range(runs):
        long_prompt = f"Run {run}. " + " ".join(words[run * 50: run * 50 + 760])  # ~1,000 tokens, a new prefix each run
        question = long_prompt + "\n\nWhat happened? Answer at length, in at least 150 words."
        t = time.monotonic()
        r = _chat(port, question, max_tokens=1)
        prompt_s = time.monotonic() - t
        prompt_tokens = r["usage"]["prompt_tokens"]
        prompt_tps.append(prompt_tokens / prompt_s)
        # The same prompt again, now cached; timed from the first token to the last.
        gen_tps.append(_generation_rate(port, question, max_tokens=128))
        short = f"Question {run}: " + " ".join(words[2000 + run * 40: 2000 + run * 40 + 110])
        t = time.monotonic()
        _first_token(port, short + "\n\nWhat is this about? One sentence.")
        ttft_short.append(time.monotonic() - t)
    return {
        "prompt_tokens": prompt_tokens,
        "prompt_tok_s": round(statistics.median(prompt_tps), 1),
        "gen_tok_s": round(statistics.median(gen_tps), 1),
        "ttft_short_prompt_s": round(statistics.median(ttft_short), 2),
        "all": {"prompt": [round(x, 1) for x in prompt_tps], "gen": [round(x, 1) for x in gen_tps],
                "ttft_short": [round(x, 2) for x in ttft_short]},
    }


def _chat(port: int, user: str, max_tokens: int, system: str = "You answer questions about news.") -> dict:
    body = {"model": "local", "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "max_tokens": max_tokens, "temperature": 0}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.load(resp)


def _generation_rate(port: int, user: str, max_tokens: int) -> float:
    """Tokens per second between the first and the last streamed token (one token per chunk)."""
    body = {"model": "local", "messages": [{"role": "system", "content": "You answer questions about news."},
                                           {"role": "user", "content": user}],
            "max_tokens": max_tokens, "stream": True, "temperature": 0}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    first, last, n = 0.0, 0.0, 0
    with urllib.request.urlopen(req, timeout=600) as resp:
        for line in resp:
            if _has_text(line):
                last = time.monotonic()
                first = first or last
                n += 1
    return (n - 1) / (last - first) if n > 1 else 0.0


def _has_text(line: bytes) -> bool:
    """A streamed chunk carrying text (the runtimes format their JSON differently)."""
    if not line.startswith(b"data: ") or line.strip() == b"data: [DONE]":
        return False
    choices = json.loads(line[6:]).get("choices") or [{}]
    return bool((choices[0].get("delta") or {}).get("content"))


def _first_token(port: int, user: str) -> None:
    body = {"model": "local", "messages": [{"role": "user", "content": user}], "max_tokens": 16, "stream": True,
            "temperature": 0}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        for line in resp:
            if _has_text(line):
                return


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("server did not start")


def _memory(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = value.strip()
    return fields


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
