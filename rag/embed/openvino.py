"""all-MiniLM-L6-v2 on OpenVINO, computing in bfloat16 where the CPU has bf16 instructions.

Why: on CPUs with AMX or AVX-512 BF16, OpenVINO runs the whole graph in bf16 (attention, softmax
and GELU included), while onnxruntime's int8 model quantises only the weight matrix multiplies
and leaves the rest in fp32. Measured on a 2-core AMX machine (docs/perf/README.md): 37.7k word
pieces/s on news chunks against 25.5k for onnxruntime int8, cosine 0.99999 to fp32 against 0.992.
On CPUs without bf16 OpenVINO falls back to fp32, which is slower than onnxruntime int8, so
`rag.embed.choose` picks this back end only where bf16 is there.

The model is the same fp32 ONNX export the onnxruntime back end makes, converted once to
OpenVINO's own format with fp16 weights (half the file, and less memory at load); tokenising,
length batching and pooling are inherited unchanged.
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from rag.embed.onnx import EXPORT_VERSION, OUTPUT_NAME, OnnxMiniLMEmbedding, ensure_model, model_key

IR_VERSION = 1
"""Bump when `_convert` changes, so models converted by older code are not reused."""


BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
"""The CPU flags (as Linux names them) of the instructions OpenVINO's bf16 runs on."""


@lru_cache(maxsize=1)
def cpu_has_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """OpenVINO's own report of native bf16 support on this CPU (AMX or AVX-512 BF16).

    Where the kernel lists the CPU's flags and neither is among them, the answer is no without
    asking: importing OpenVINO and starting its runtime to ask takes about 0.4 s of every new
    process on such a CPU (a cold `rag ask` is about 3 s)."""
    flags = _cpu_flags(cpuinfo)
    if flags is not None and not flags & BF16_FLAGS:
        return False
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def _cpu_flags(cpuinfo: Path) -> frozenset[str] | None:
    """The first CPU's flags from a Linux `/proc/cpuinfo`; None where there is no such file."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    line = next((line for line in text.splitlines() if line.startswith("flags")), None)
    return frozenset(line.split(":", 1)[1].split()) if line and ":" in line else None


def cached_ir_path(cache_dir: Path) -> Path:
    """The converted model's .xml (its weights are the .bin of the same name beside it)."""
    return cache_dir / f"all-minilm-l6-v2-{model_key()}-v{EXPORT_VERSION}.{IR_VERSION}-openvino-fp16.xml"


def ensure_ir(cache_dir: Path) -> Path:
    """The cached OpenVINO model, converted from the fp32 ONNX export first if needed."""
    target = cached_ir_path(cache_dir)
    if target.exists():
        return target
    source = ensure_model(cache_dir, quantized=False)
    with FileLock(cache_dir / f".{target.name}.lock"):
        if not target.exists():
            _convert(source, target)
    return target


def _convert(source: Path, target: Path) -> None:
    """Write .bin then .xml under temporary names and rename them in that order: the .xml only
    exists once its weights do, so a killed conversion leaves nothing that would be loaded."""
    import openvino as ov

    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".xml")
    os.close(fd)
    tmp_xml = Path(name)
    tmp_bin = tmp_xml.with_suffix(".bin")
    try:
        ov.save_model(ov.Core().read_model(str(source)), str(tmp_xml), compress_to_fp16=True)
        for tmp in (tmp_bin, tmp_xml):
            tmp.chmod(0o644)
        os.replace(tmp_bin, target.with_suffix(".bin"))
        os.replace(tmp_xml, target)
    finally:
        tmp_xml.unlink(missing_ok=True)
        tmp_bin.unlink(missing_ok=True)


class OpenVinoMiniLMEmbedding(OnnxMiniLMEmbedding):
    """all-MiniLM-L6-v2 on OpenVINO; vectors are L2-normalised."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._infer_lock = threading.Lock()  # one infer request holds its output buffer until the next call

    def _model_file(self) -> Path:
        return ensure_ir(self.cache_dir)

    def _new_session(self, path: Path) -> Any:
        import openvino as ov

        config = {
            "INFERENCE_PRECISION_HINT": "bf16" if cpu_has_bf16() else "f32",
            "INFERENCE_NUM_THREADS": self.num_threads,
            "PERFORMANCE_HINT": "LATENCY",  # one request at a time, all threads on it
        }
        return ov.Core().compile_model(str(path), "CPU", config).create_infer_request()

    def _hidden(self, session: Any, feed: dict[str, np.ndarray]) -> np.ndarray:
        with self._infer_lock:
            return np.array(session.infer(feed)[OUTPUT_NAME], dtype=np.float32)
