"""The model's state after reading the fixed rules, saved once per machine and loaded into each new
server, so a fresh server's first answer does not read them again.

Why: every answer opens with the same ~190-token system prompt (`prompts.CHOOSE_SYSTEM`). A running
server keeps it in its prompt cache, but a new one (a cold `rag ask`, a restart after a crash)
read it afresh: about 3.3 s of a first answer on two cores. llama.cpp can write a slot's state to
a file and read it back (`/slots/0?action=save|restore`): about 5.7 MB, restored in a few
milliseconds, after which a request that begins with the same tokens reuses them.

The file is named after everything its contents depend on (the model file, the runtime's build,
the rules' text, the context size), so a changed prompt or model is never served a stale state.
Saving goes to a temporary name that is renamed into place: a server started meanwhile by another
process reads a whole file or none. Any failure only costs the time this saves.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from rag.generate import prompts
from rag.generate.local_model import LocalModel

log = logging.getLogger(__name__)

SLOT = 0  # the server runs one slot (`n_parallel` 1)
PRIMING_USER = prompts.CHOOSE_USER.split("{", 1)[0]  # what every choice prompt's user turn opens with


def state_file(state_dir: Path, model: LocalModel, ctx: int) -> Path:
    """Where the rules' state for this model, runtime, prompt and context size is kept."""
    stat = model.path.stat()
    key = json.dumps([model.name, stat.st_size, runtime_build(), prompts.CHOOSE_SYSTEM, ctx])
    return state_dir / f"{model.name}-choose-{hashlib.sha256(key.encode()).hexdigest()[:16]}.bin"


def runtime_build() -> str:
    """The installed runtime's version and native library's hash: a build made for this CPU
    (`make native-runtime`) has the prebuilt wheel's version but other kernels, so its state is
    kept apart. Read from the wheel's RECORD, without importing the 100 MB library."""
    try:
        dist = distribution("xllamacpp")
    except PackageNotFoundError:
        return "unknown"
    libraries = sorted(f.hash.value for f in dist.files or () if f.name.endswith(".so") and f.hash)
    return "+".join([dist.version, *libraries])


def prime(port: int, state_dir: Path, model: LocalModel, ctx: int, timeout_s: float = 60.0) -> str:
    """Load the saved state into the server on `port`, or compute it and save it for next time.
    Returns what was done ("restored", "saved", or why neither), for the log."""
    target = state_file(state_dir, model, ctx)
    try:
        if target.exists():
            try:
                if _post(port, f"/slots/{SLOT}?action=restore", {"filename": target.name}, timeout_s).get("n_restored"):
                    return "restored"
            except ValueError as exc:  # refused by this server (a damaged file): computed again below
                log.info("saved prompt state %s not restored: %s", target.name, exc)
            target.unlink(missing_ok=True)
        _post(port, "/v1/chat/completions", {"messages": [{"role": "system", "content": prompts.CHOOSE_SYSTEM},
                                                          {"role": "user", "content": PRIMING_USER}],
                                             "max_tokens": 1, "temperature": 0}, timeout_s)
        partial = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
        _post(port, f"/slots/{SLOT}?action=save", {"filename": partial.name}, timeout_s)
        partial.replace(target)
        for stale in state_dir.glob(f"{model.name}-choose-*.bin"):  # this model's older prompts
            if stale != target:
                stale.unlink(missing_ok=True)
        return "saved"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        log.warning("the model's prompt state was neither restored nor saved: %s", exc)
        return f"failed: {exc}"


def _post(port: int, path: str, body: dict, timeout_s: float) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        if response.status != 200:
            raise ValueError(f"{path}: HTTP {response.status} {text[:200]}")
        return json.loads(text)
    finally:
        conn.close()
