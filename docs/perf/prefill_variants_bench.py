"""Prompt-reading speed of the local model's server under one set of llama.cpp parameters.

The first text of a local-model answer waits on llama.cpp reading the prompt (docs/EVALUATION.md,
thirteenth round), so this times only that: the app's server parameters (2 threads, 4,096-token
context, one slot), changed by `NAME=VALUE` arguments (integer fields of `xllamacpp.CommonParams`),
serving a prompt built like the app's own (six numbered sentences under their articles), with the
prompt cache off, three timed requests after one warm-up. One variant per process, because
OpenMP reads `OMP_WAIT_POLICY` at start:

    OMP_WAIT_POLICY=PASSIVE python docs/perf/prefill_variants_bench.py flash_attn_type=1
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import urllib.request

import xllamacpp

from rag.core.settings import load_settings
from rag.core.types import Passage
from rag.generate.local_model import resolve_local_model
from rag.generate.messages import choice_messages

SENTENCE = ("The city council voted on Monday to close the old harbour bridge after engineers found cracks "
            "in two of its supports, officials said.")


def prompt() -> str:
    sentences = [Passage(chunk_id=str(i), text=SENTENCE, title="Harbour bridge to close after inspection finds cracks",
                         source="s", score=1.0, date=f"2024-03-0{i % 3 + 1}") for i in range(6)]
    return choice_messages("Which city council voted to close a bridge?", sentences)[1].content


def main() -> None:
    overrides = {key: int(value) for key, value in (arg.split("=", 1) for arg in sys.argv[1:])}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params = xllamacpp.CommonParams()
    params.model.path = str(resolve_local_model(load_settings()).path)
    params.hostnames, params.port, params.n_ctx, params.n_parallel = ["127.0.0.1"], port, 4096, 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    for key, value in overrides.items():
        setattr(params, key, value)
    _server = xllamacpp.Server(params)  # listens until this process exits
    text, speeds, tokens = prompt(), [], 0
    for n in range(4):
        body = {"messages": [{"role": "user", "content": f"{n} {text}"}], "max_tokens": 1, "cache_prompt": False}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        timings = json.loads(urllib.request.urlopen(request).read())["timings"]
        tokens = timings["prompt_n"]
        if n:  # the first request warms up
            speeds.append(timings["prompt_per_second"])
    print(f"{overrides} OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')} prompt tokens {tokens}: "
          f"{[round(s, 1) for s in speeds]} tokens/s, median {statistics.median(speeds):.1f}", flush=True)
    os._exit(0)  # the server's threads do not stop on their own


if __name__ == "__main__":
    main()
