"""What every MiniLM back end shares: tokenising, length batching, pooling, counting, llama-index glue.

Why one base: the back ends (onnxruntime in `onnx_embedder`, torch bfloat16 in `bf16_embedder`)
differ only in how a padded batch of word-piece ids becomes hidden states. Everything around that
is the same maths as sentence-transformers' pipeline for this model (modules.json): texts cut at
256 word pieces, mean pooling over the attention mask, L2 normalisation. Batches are formed from
texts of similar length (sorted by token count, padded per batch, order restored), so a short
chunk never pays for a long one's padding.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import Field, PrivateAttr

from rag.index.minilm import MAX_WORD_PIECES, get_tokenizer

DIMENSIONS = 384


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average of the token vectors, padding excluded: [batch, seq, dim] -> [batch, dim]."""
    weights = mask[:, :, None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows, so cosine similarity is a dot product."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def pad(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token ids to the longest row: (input_ids, attention_mask), both int64."""
    ids = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def length_batches(lengths: list[int], size: int) -> list[list[int]]:
    """Indices grouped into batches of at most `size`, each of texts of similar length."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[i : i + size] for i in range(0, len(order), size)]


@dataclass
class EmbedStats:
    """What this embedder has done: word pieces fed to the model and the seconds `embed` took."""

    texts: int = 0
    word_pieces: int = 0
    seconds: float = 0.0

    @property
    def pieces_per_s(self) -> float:
        return self.word_pieces / self.seconds if self.seconds else 0.0


class MiniLMEmbedding(BaseEmbedding):
    """llama-index embedding for all-MiniLM-L6-v2; a subclass says how a batch is run."""

    forward_batch_size: int = Field(default=8, gt=0, description="texts per forward pass")
    num_threads: int = Field(default_factory=cpu_count, gt=0, description="intra-op threads")

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _stats: EmbedStats = PrivateAttr(default_factory=EmbedStats)

    def __init__(self, **data: Any) -> None:
        data.setdefault("model_name", "sentence-transformers/all-MiniLM-L6-v2")
        data.setdefault("embed_batch_size", 256)  # the unit we sort by length within
        super().__init__(**data)

    @property
    def precision(self) -> str:
        """The number format the model runs in ("fp32", "int8", "bf16"): part of an index's identity."""
        raise NotImplementedError

    def _load_model(self) -> Any:
        """The runnable model, built once on first use."""
        raise NotImplementedError

    def _hidden_states(self, model: Any, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """[batch, seq, 384] float32 last hidden states for padded ids and their mask."""
        raise NotImplementedError

    def _runtime(self) -> tuple[Any, Any]:
        """Model and tokenizer, built on first use."""
        with self._lock:
            if self._model is None:
                self._tokenizer = get_tokenizer()
                self._tokenizer.enable_truncation(MAX_WORD_PIECES)
                self._model = self._load_model()
        return self._model, self._tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        """[len(texts), 384] float32 unit vectors, in input order."""
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        model, tokenizer = self._runtime()
        started = time.perf_counter()
        ids = [e.ids for e in tokenizer.encode_batch(texts)]
        lengths = [len(i) for i in ids]
        for batch in length_batches(lengths, self.forward_batch_size):
            padded, mask = pad([ids[i] for i in batch])
            out[batch] = l2_normalise(mean_pool(self._hidden_states(model, padded, mask), mask))
        self._stats.texts += len(texts)
        self._stats.word_pieces += sum(lengths)
        self._stats.seconds += time.perf_counter() - started
        return out

    @property
    def stats(self) -> EmbedStats:
        """Totals since this embedder was made (ingest reports its rate beside the whole run's)."""
        return self._stats

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self.embed(texts).tolist()

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embedding(query)  # this model uses no query instruction

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await self._aget_text_embedding(query)
