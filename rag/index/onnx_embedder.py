"""all-MiniLM-L6-v2 on onnxruntime: the same vectors as sentence-transformers, faster, no torch.

Why: on a CPU, torch spends much of an fp32 embedding call on framework overhead. Here the
packaged weights are exported to ONNX once (the only place torch is imported), cached under a name
keyed by the weights' hash, and every later run needs only onnxruntime, `tokenizers` and numpy.
Tokenising, batching and pooling are `MiniLMEmbedding`'s.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock
from pydantic import Field

from rag.index.minilm import default_model_cache_dir, model_dir
from rag.index.minilm_embedding import MiniLMEmbedding

EXPORT_VERSION = 1
"""Bump when `_export` changes, so models exported by older code are not reused."""

WEIGHTS_FILE = "model.safetensors"
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAME = "last_hidden_state"

log = logging.getLogger(__name__)


# --- the cached model file ----------------------------------------------------------------------
@lru_cache(maxsize=4)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    """sha256 of a file; size and mtime are in the key so a replaced file is hashed again."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def model_key() -> str:
    """A short hash of the packaged weights: a new model version gets a new cache entry."""
    weights = model_dir() / WEIGHTS_FILE
    stat = weights.stat()
    return _digest(weights, stat.st_size, stat.st_mtime_ns)[:16]


def cached_model_path(cache_dir: Path, quantized: bool = False) -> Path:
    """Where the exported model for the packaged weights lives (it may not exist yet)."""
    variant = "int8" if quantized else "fp32"
    return cache_dir / f"all-minilm-l6-v2-{model_key()}-v{EXPORT_VERSION}-{variant}.onnx"


def ensure_model(cache_dir: Path, quantized: bool = False) -> Path:
    """The cached ONNX model, exported (and quantised) first if it is not there yet."""
    target = cached_model_path(cache_dir, quantized)
    if target.exists():
        return target
    write: Callable[[Path], None] = _export
    if quantized:
        write = partial(_quantize, ensure_model(cache_dir, quantized=False))
    cache_dir.mkdir(parents=True, exist_ok=True)
    # One exporter at a time across processes (two `rag` commands started together on a fresh
    # machine): onnxruntime's quantiser writes a fixed `<source>-inferred.onnx` beside the source
    # and deletes it, so two concurrent quantisations break each other; waiters then find the file.
    with FileLock(cache_dir / f".{target.name}.lock"):
        if target.exists():
            return target
        log.info("exporting all-MiniLM-L6-v2 to %s (once)", target)
        _write_atomically(target, write)
    return target


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write to a temp file beside `target`, then rename: a killed export leaves no broken model."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".onnx")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)  # mkstemp's 0600 would hide the cache from other users of the machine
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export(path: Path) -> None:
    """Export BERT's last hidden state with dynamic batch and sequence axes.

    The TorchScript exporter (`dynamo=False`) writes one self-contained file and needs only the
    `onnx` package. The example batch has padding so tracing takes the general masking path.
    """
    import torch
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(model_dir()), attn_implementation="eager").eval()
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    axes = {name: {0: "batch", 1: "sequence"} for name in [*INPUT_NAMES, OUTPUT_NAME]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shape checks that hold for all inputs
        torch.onnx.export(
            _positional(bert),
            (ids, mask, torch.zeros_like(ids)),
            str(path),
            dynamo=False,
            input_names=INPUT_NAMES,
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=17,
            external_data=False,
        )


def _positional(bert: Any) -> Any:
    """BertModel taking its three inputs by position (its own order differs), giving the
    last hidden state only."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    return Positional().eval()


def _quantize(source: Path, path: Path) -> None:
    """int8 weights for the matrix multiplies, activations quantised on the fly.

    Per-channel 7-bit weights were the closest to fp32 of the settings tried (plain per-tensor
    int8 gave a mean cosine of only 0.956 against the torch reference).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(source, path, weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)


# --- inference ----------------------------------------------------------------------------------
class OnnxMiniLMEmbedding(MiniLMEmbedding):
    """all-MiniLM-L6-v2 on onnxruntime, fp32 or int8; vectors are L2-normalised."""

    cache_dir: Path = Field(default_factory=default_model_cache_dir, description="ONNX cache")
    quantized: bool = Field(default=False, description="int8 dynamically quantised weights")
    # 8 measured best on 2 cores (sample chunks: 170/s at 8, 128/s at 32; newswire: 211/s vs 176/s):
    # small runs of similar-length texts carry almost no padding.
    forward_batch_size: int = Field(default=8, gt=0, description="texts per onnxruntime run")

    @classmethod
    def class_name(cls) -> str:
        return "OnnxMiniLMEmbedding"

    @property
    def precision(self) -> str:
        return "int8" if self.quantized else "fp32"

    def _load_model(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.num_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        path = ensure_model(self.cache_dir, self.quantized)
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _hidden_states(self, model: Any, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray(model.run([OUTPUT_NAME], feed)[0])
