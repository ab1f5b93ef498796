"""The local model behind an OpenAI-compatible HTTP endpoint, in a child process this module owns.

Why a child process: llama.cpp is native code; a crash, an out-of-memory kill or a hang there must
not take the app with it. The child runs llama.cpp's own server (through the `xllamacpp` wheel,
chosen by measurement in docs/perf/local-model-runtime.md) on a free loopback port, so the
existing `openai` client path (rag/llm.py) talks to it like to any other server.

Lifetime, as the app sees it:
- `ensure_local_server(settings)` starts the server on first use and returns its `Endpoint`;
  later calls return at once while its process runs.
- A monitor thread waits on the child; when it dies unexpectedly it is started again (back-off
  1, 2, 4 ... 30 s between tries). `LocalServer.deaths` counts unexpected exits, so a caller
  that notes it before a request can tell, when the request fails, "the server died" from "the
  server answered badly"; `LocalServer.restarts` counts the servers started again.
- The monitor also checks `/health` every few seconds and kills a server that stops answering
  it (frozen, stopped), which then restarts like a dead one. A generation stuck inside a server
  that still answers `/health` is not seen here: the caller's request deadline notices, and
  calls `restart()`.
- It stops with its parent, never left behind: `atexit` stops it on a normal exit, and the child
  exits by itself when the parent dies any other way (SIGKILL, crash): it holds the read end of a
  pipe whose write end only the parent holds, so the parent's death shows as end-of-file at once;
  it also polls its parent pid each second, for the case where the parent forked a process that
  inherited the write end. (PR_SET_PDEATHSIG was not used: it fires when the parent *thread*
  that started the child exits, and servers are started from request threads.)

Server settings: one request at a time (`n_parallel` 1: two would halve each one's speed on two
cores and double the KV memory), `settings.local_threads` threads for prompt and generation,
`settings.local_ctx` tokens of context, the prompt cache on (a request sharing a prefix with the
previous one, such as the fixed system prompt, reuses its computed state), and its host-memory
copy bounded (`CACHE_RAM_MIB`), so memory stays bounded however many chats run. A new server starts
with the fixed rules already read: their state is saved to a file once and loaded at each start
(`rag.generate.prompt_state`).
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.core.errors import LLMUnavailableError
from rag.core.settings import Settings
from rag.generate.local_model import LocalModel, resolve_local_model
from rag.generate.prompt_state import prime

__all__ = ["Endpoint", "LocalServer", "ensure_local_server", "local_server", "local_settings", "stop_local_servers"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # load is 2-4 s on this machine; a cold page cache and a busy CPU take longer
STOP_GRACE_S = 5.0
CACHE_RAM_MIB = 256  # llama.cpp's saved prompt states in host memory (its default, 8 GiB, is unbounded for us)
MAX_BACKOFF_S = 30.0
HEALTH_EVERY_S = 5.0  # while running, `/health` is checked this often, given as long to answer,
HEALTH_FAILURES = 3  # and the server is killed (then restarted) after this many failures in a row
PORT_TRIES = 3


@dataclass(frozen=True)
class Endpoint:
    """Where the local model answers: an OpenAI base URL (ending in /v1) and the model's name."""

    base_url: str
    model_name: str


class LocalServer:
    """One llama.cpp server child process for one model file, started, watched and stopped here."""

    def __init__(self, model: LocalModel, threads: int = 2, ctx: int = 4096, log_path: Path | None = None,
                 start_timeout_s: float = START_TIMEOUT_S, health_every_s: float = HEALTH_EVERY_S,
                 state_dir: Path | None = None) -> None:
        self.model = model
        self.state_dir = state_dir  # where the fixed rules' computed state is kept (`prompt_state`)
        self.prompt_state = ""  # what the last start did with it: "restored", "saved" or why neither
        self.threads = threads
        self.ctx = ctx
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.health_every_s = health_every_s
        self.restarts = 0
        self.deaths = 0  # exits without stop() or restart()
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pipe_w: int | None = None
        self._ready: subprocess.Popen[bytes] | None = None  # the child that has answered `/health`
        self._port = 0
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(f"http://127.0.0.1:{self._port}/v1", self.model.name)

    def alive(self) -> bool:
        """The child process exists and has not exited (says nothing about whether it answers)."""
        proc = self._proc
        return proc is not None and proc.poll() is None

    def healthy(self, timeout_s: float = 2.0) -> bool:
        """The server answers `GET /health` with 200: its model is loaded and it takes requests."""
        return self.alive() and _health(self._port, timeout_s)

    def ensure(self) -> Endpoint:
        """Start the server if it is not running; return its endpoint once it answers.

        `LLMUnavailableError` when it cannot be started (the caller falls back)."""
        with self._lock:
            self._stopping = False
            if not self.alive():
                self._start()
        return self.endpoint

    def ready(self, timeout_s: float) -> Endpoint:
        """The endpoint once the server answers `/health`: started if it is not running, waited
        for while it loads (after a restart); `LLMUnavailableError` past `timeout_s`."""
        self.ensure()
        deadline = time.monotonic() + timeout_s
        while not self.healthy():
            if time.monotonic() > deadline:
                raise LLMUnavailableError(f"local model server not ready within {timeout_s:.0f} s{self._log_hint()}")
            time.sleep(0.25)
        return self.endpoint

    def restart(self) -> Endpoint:
        """Kill the child (hung or not) and start a fresh one."""
        with self._lock:
            self._kill()
            self.restarts += 1
            self._start()
        return self.endpoint

    def stop(self) -> None:
        """Stop the child and wait for it; the monitor does not restart it. Safe to call twice.

        Its log is removed: a server stopped on purpose leaves nothing to look into (a parent that
        died leaves its server's log behind)."""
        with self._lock:
            self._stopping = True
            self._kill()
            if self.log_path is not None:
                self.log_path.unlink(missing_ok=True)

    def _start(self) -> None:
        """Start on the previous port when there was one (clients built on the old endpoint keep
        working after a restart), else on a free one; another process may take a port between our
        probe and the child's bind, hence the retries."""
        last: Exception | None = None
        ports = [self._port] if self._port else []
        for attempt in range(PORT_TRIES):
            try:
                self._spawn(ports[attempt] if attempt < len(ports) else _free_port())
                self._wait_ready()
                if self.state_dir is not None:
                    self.prompt_state = prime(self._port, self.state_dir, self.model, self.ctx, self.start_timeout_s)
                    log.info("local model server: the rules' prompt state %s", self.prompt_state)
                return
            except LLMUnavailableError as exc:
                last = exc
                self._kill()
        assert last is not None
        raise last

    def _spawn(self, port: int) -> None:
        read_fd, write_fd = os.pipe()  # both non-inheritable; the child gets read_fd by pass_fds
        args = [sys.executable, "-m", __name__, "--model", str(self.model.path), "--name", self.model.name,
                "--port", str(port), "--threads", str(self.threads), "--ctx", str(self.ctx),
                "--parent", str(os.getpid()), "--pipe", str(read_fd)]
        if self.state_dir is not None:
            args += ["--state-dir", str(self.state_dir)]
        out = self.log_path.open("ab") if self.log_path else None
        try:
            # A session of its own: Ctrl-C in a terminal reaches the app, which stops the child itself.
            proc = subprocess.Popen(args, pass_fds=(read_fd,), stdin=subprocess.DEVNULL,
                                    stdout=out or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=_child_env())
        finally:
            os.close(read_fd)
            if out is not None:
                out.close()
        self._proc, self._pipe_w, self._port = proc, write_fd, port
        threading.Thread(target=self._monitor, args=(proc,), daemon=True, name="model-server-monitor").start()
        log.info("local model server starting: pid %d, port %d, %s", proc.pid, port, self.model.path)

    def _wait_ready(self) -> None:
        proc, deadline = self._proc, time.monotonic() + self.start_timeout_s
        assert proc is not None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LLMUnavailableError(f"local model server exited with code {proc.returncode} while loading "
                                          f"{self.model.path}{self._log_hint()}")
            if _health(self._port, 1.0):
                self._ready = proc
                return
            time.sleep(0.1)
        raise LLMUnavailableError(f"local model server did not load {self.model.path} within "
                                  f"{self.start_timeout_s:.0f} s{self._log_hint()}")

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if self._pipe_w is not None:
            os.close(self._pipe_w)
            self._pipe_w = None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _monitor(self, proc: subprocess.Popen[bytes]) -> None:
        """Wait on one child; if it was still the current one and not being stopped, start another."""
        code = self._wait_or_kill_when_unresponsive(proc)
        with self._lock:
            if self._proc is not proc or self._stopping:
                return
            self.deaths += 1
            log.warning("local model server (pid %d) died with code %s; restarting", proc.pid, code)
            self._kill()
        backoff = 1.0
        while not self._stopping:
            with self._lock:
                if self._stopping or self.alive():
                    return
                try:
                    self._start()
                    self.restarts += 1
                    return
                except LLMUnavailableError as exc:
                    log.warning("%s; next try in %.0f s", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _wait_or_kill_when_unresponsive(self, proc: subprocess.Popen[bytes]) -> int:
        """Wait for `proc` to exit, checking its health meanwhile; kill it after `HEALTH_FAILURES`
        failed checks in a row (frozen, stopped, its HTTP threads stuck), so the monitor restarts it.

        A busy server still answers: llama.cpp answers `/health` from its HTTP threads, not the
        generating loop, and the checks' combined allowance (about 25 s) outlasts a busy machine."""
        failures = 0
        while True:
            try:
                return proc.wait(self.health_every_s)
            except subprocess.TimeoutExpired:
                if self._proc is not proc:
                    return proc.wait()  # replaced or being stopped: whoever did that ends it
                if self._ready is not proc:
                    continue  # still loading: `_wait_ready` bounds that
                failures = 0 if _health(self._port, self.health_every_s) else failures + 1
                if failures >= HEALTH_FAILURES:
                    log.warning("local model server (pid %d) failed %d health checks; killing it", proc.pid, failures)
                    proc.kill()

    def _log_hint(self) -> str:
        return f" (its log: {self.log_path})" if self.log_path else ""


_servers: dict[tuple[Path, int, int], LocalServer] = {}
_servers_lock = threading.Lock()


def local_server(settings: Settings) -> LocalServer:
    """The process-wide server for these settings' model, threads and context (not started yet).

    `ModelFileError` when the model file is missing or fails its check (the first call may join
    the bundled model's parts: about 20 s, once per machine)."""
    model = resolve_local_model(settings)
    key = (model.path, settings.local_threads, settings.local_ctx)
    with _servers_lock:
        if key not in _servers:
            log_path = settings.model_cache_dir / "logs" / f"server-{os.getpid()}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            state_dir = settings.model_cache_dir / "prompt-states"
            state_dir.mkdir(parents=True, exist_ok=True)
            _servers[key] = LocalServer(model, settings.local_threads, settings.local_ctx, log_path,
                                        state_dir=state_dir)
        return _servers[key]


def ensure_local_server(settings: Settings) -> Endpoint:
    """The local model's endpoint, starting its server if needed (a few seconds the first time)."""
    return local_server(settings).ensure()


def start_in_background(settings: Settings) -> threading.Thread:
    """Begin loading the local model on a thread, so its seconds of loading overlap the caller's
    own start-up (imports, index, retrieval); whoever needs the model next waits for it in
    `ensure`. A failure is left for that caller to meet and report, so it is only logged here."""

    def start() -> None:
        try:
            local_server(settings).ensure()
        except Exception as exc:  # noqa: BLE001 - reported by the caller that needs the model
            log.debug("background start of the local model failed: %s", exc)

    thread = threading.Thread(target=start, daemon=True, name="model-server-start")
    thread.start()
    return thread


def local_settings(settings: Settings, endpoint: Endpoint) -> Settings:
    """`settings` pointed at `endpoint`, so `rag.generate.client.build_llm` talks to the local server unchanged."""
    return settings.model_copy(update={"openai_base_url": endpoint.base_url, "llm_model": endpoint.model_name})


@atexit.register
def stop_local_servers() -> None:
    """Stop every server this process started (also run at interpreter exit)."""
    with _servers_lock:
        servers = list(_servers.values())
    for server in servers:
        server.stop()


def _child_env() -> dict[str, str]:
    """This environment, with this code's root first on the path: the child runs the same code as
    the parent, whatever the working directory or which checkout is installed.

    OpenMP threads wait passively (sleep, not spin) unless the user chose otherwise: with 2
    threads on 2 busy cores, spinning collapsed generation from 5.8 to 1.3 tokens/s
    (docs/perf/local-model-runtime.md), and the app keeps the cores busy whenever it retrieves for
    one user while the model writes for another."""
    package = sys.modules[__name__.split(".")[0]]
    root = str(Path(package.__file__ or ".").resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return {"OMP_WAIT_POLICY": "PASSIVE", **os.environ, "PYTHONPATH": path}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(port: int, timeout_s: float) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


# ---- the child process ------------------------------------------------------------------------

def _serve(argv: Sequence[str] | None = None) -> None:
    """Child entry point: load the model, listen on loopback, exit when the parent goes away."""
    args = _parse(argv)
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.name}
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = args.threads
    params.cache_prompt = True
    params.cache_ram_mib = CACHE_RAM_MIB
    if args.state_dir:
        params.slot_save_path = os.path.join(args.state_dir, "")  # llama.cpp appends the file name as is
    server = xllamacpp.Server(params)  # loads the model and starts listening
    print(f"listening at {server.listening_address}", flush=True)
    _wait_for_parent_exit(args.parent, args.pipe)
    os._exit(0)


def _wait_for_parent_exit(parent: int, pipe_fd: int, every_s: float = 1.0) -> None:
    """Return when the parent has gone: its pipe end closed (any death, at once) or our parent
    pid changed (we were re-parented)."""
    while os.getppid() == parent:
        readable, _, _ = select.select([pipe_fd], [], [], every_s)
        if readable and not os.read(pipe_fd, 1):
            return


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="llama.cpp server for news-rag (started by the app)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--pipe", type=int, required=True)
    parser.add_argument("--state-dir", default="", help="folder of saved prompt states (slot save/restore)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    _serve()
