"""Measuring a process or a call: wall and CPU time, peak RSS, latency percentiles, the machine.

Shared by `eval.bench` (ours beside plain llama-index) and `eval.scale` (the scale curve), so
both report figures taken the same way.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import percentile

REPO = Path(__file__).resolve().parent.parent


def bench_env(**extra: str) -> dict[str, str]:
    """The environment every child gets: offline, no telemetry, no developer RAG_/OPENAI_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    env.update(extra)
    return env


def run_measured(cmd: list[str], env: dict[str, str], timeout: float = 1800) -> dict[str, Any]:
    """Run `cmd` to completion: wall seconds, exit code, output and the child's own peak RSS.

    Peak RSS is the child's VmHWM, polled from /proc while it runs: `ru_maxrss` from wait4 would
    include the pages of this (large) process that the child inherited between fork and exec.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=err)
        deadline = started + timeout
        peak = 0.0
        while True:
            if exec_done(proc.pid):
                peak = max(peak, proc_status_mb(proc.pid).get("VmHWM", 0.0))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, _ = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "rc": proc.returncode, "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace"), "peak_rss_mb": peak}


def exec_done(pid: int) -> bool:
    """Has the child replaced this process's image yet? Before exec it still shares our pages."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() != Path("/proc/self/cmdline").read_bytes()
    except OSError:
        return False


def last_json(result: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a worker printed as its last stdout line; raises with its stderr if none."""
    lines = [line for line in result["stdout"].splitlines() if line.startswith("{")]
    if result["rc"] != 0 or not lines:
        raise RuntimeError(f"worker failed (exit {result['rc']}):\n{result['stderr'][-3000:]}")
    return json.loads(lines[-1])


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed_ms(fn: Callable[[], Any], cpu: list[float] | None = None) -> float:
    """Wall milliseconds of `fn()`; its process CPU milliseconds are appended to `cpu` if given.

    CPU time is the contention-proof figure: on a busy machine wall time also counts waiting.
    """
    started, started_cpu = time.perf_counter(), time.process_time()
    fn()
    if cpu is not None:
        cpu.append((time.process_time() - started_cpu) * 1000)
    return (time.perf_counter() - started) * 1000


def latency(ms: Sequence[float]) -> dict[str, Any]:
    return {"n": len(ms), "p50_ms": rounded(percentile(ms, 50)), "p95_ms": rounded(percentile(ms, 95)),
            "mean_ms": rounded(statistics.fmean(ms)) if ms else None}


def rounded(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of a live process, in MB, from /proc."""
    fields: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # already reaped
        return fields
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def machine() -> dict[str, Any]:
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return {"cpus": len(os.sched_getaffinity(0)), "mem_gb": round(mem_kb / 1024 / 1024, 1),
            "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "loadavg_start": os.getloadavg()}
