"""all-MiniLM-L6-v2 on torch in bfloat16: the fastest back end on CPUs with AMX tiles.

Why: on Intel CPUs with AMX (the Linux `amx_bf16` CPU flag), torch's oneDNN kernels run bfloat16
matrix multiplies on the tile unit. Measured on the 2-core dev machine over 1,200 news chunks
(docs/perf/README.md): 31.8k word pieces/s against 24.0k for onnx-int8, and mean cosine 0.99995
to the fp32 vectors (int8: 0.992). onnxruntime's int8 matrix multiplies use AMX too, but its
attention, softmax and layer norms stay in fp32 and take most of its time. Without AMX, bfloat16
brings no such gain, so `rag.index.embedding` picks this back end only where the flag is present.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from pydantic import Field

from rag.index.minilm import model_dir
from rag.index.minilm_embedding import MiniLMEmbedding


class Bf16MiniLMEmbedding(MiniLMEmbedding):
    """all-MiniLM-L6-v2 through transformers' BertModel in bfloat16; vectors pooled in float32."""

    # 32 measured best here: 31.8k pieces/s against 30.0k at 8, and 61 ms against 78 ms for the
    # reader's 30 sentences (tensor set-up per forward pass costs more in torch than in onnxruntime).
    forward_batch_size: int = Field(default=32, gt=0, description="texts per forward pass")

    @classmethod
    def class_name(cls) -> str:
        return "Bf16MiniLMEmbedding"

    @property
    def precision(self) -> str:
        return "bf16"

    def _load_model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local path must never turn into a download
        import torch
        from transformers import BertModel

        torch.set_num_threads(self.num_threads)
        return BertModel.from_pretrained(
            str(model_dir()), attn_implementation="sdpa", dtype=torch.bfloat16
        ).eval()

    def _hidden_states(self, model: Any, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.zeros_like(torch.from_numpy(ids)),
            )
        return np.asarray(out.last_hidden_state.float().numpy())
