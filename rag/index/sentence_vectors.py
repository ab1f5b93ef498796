"""The reader's sentence vectors, kept per chunk in the manifest: spans and int8 rows.

Why stored: embedding the sentences it reads was the largest part of an extractive answer
(docs/EVALUATION.md). Ingest pools them from the chunk's own model run at no model cost
(`OnnxMiniLMEmbedding.embed_with_spans`). Why int8 with a scale per row: a quarter of float32's
size, and a row's cosine to its float32 original stays above 0.999 (tests/test_sentence_vectors.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIMENSIONS = 384


@dataclass(frozen=True)
class ChunkSentences:
    """A chunk's sentences as ingest cut them: [n, 2] character spans into the chunk's text, and
    [n, 384] unit vectors, a zero row where the model did not see the sentence."""

    spans: np.ndarray
    vectors: np.ndarray


def pack(spans: list[tuple[int, int]], vectors: np.ndarray) -> tuple[bytes, bytes]:
    """(spans blob, vectors blob): int32 offsets; a float32 scale per row, then int8 rows."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(spans), DIMENSIONS)
    scales = np.abs(vectors).max(axis=1) / 127.0
    rows = np.round(vectors / np.maximum(scales, 1e-12)[:, None]).astype(np.int8)
    return np.asarray(spans, dtype=np.int32).tobytes(), scales.astype(np.float32).tobytes() + rows.tobytes()


def unpack(spans_blob: bytes, vectors_blob: bytes) -> ChunkSentences:
    spans = np.frombuffer(spans_blob, dtype=np.int32).reshape(-1, 2)
    n = len(spans)
    scales = np.frombuffer(vectors_blob[: 4 * n], dtype=np.float32)
    rows = np.frombuffer(vectors_blob[4 * n :], dtype=np.int8).reshape(n, DIMENSIONS)
    vectors = rows * scales[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return ChunkSentences(spans, (vectors / np.maximum(norms, 1e-12)).astype(np.float32))
