"""What the pipeline needs from an embedder and a chunk store, as typing protocols.

Ingest, retrieval and answering are written against these, not against `ChunkStore` or a
llama-index class, so a test double or another back end only has to provide these methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from rag.core.types import StoredChunk


class Embedder(Protocol):
    """Turns text into L2-normalised vectors (llama-index's `BaseEmbedding` satisfies this)."""

    def get_query_embedding(self, query: str) -> list[float]: ...

    def get_text_embedding_batch(self, texts: list[str], show_progress: bool = False,
                                 **kwargs: Any) -> list[list[float]]: ...


@runtime_checkable
class SpanEmbedder(Protocol):
    """An embedder that also pools a vector for each sentence span out of the same model run
    (`OnnxMiniLMEmbedding.embed_with_spans`); ingest stores those for the reader when it can."""

    def embed_with_spans(self, texts: list[str],
                         spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]: ...


class ChunkWriter(Protocol):
    """The writes ingest makes: add chunks with their vectors, delete old or partial versions."""

    def add(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metas: Sequence[dict[str, Any]],
            sentences: Sequence[tuple[bytes, bytes] | None] | None = None) -> None: ...

    def delete_file(self, path: str, except_sha: str | None = None) -> None: ...

    def delete_files(self, paths: Sequence[str]) -> None: ...

    def delete_older(self, versions: Sequence[tuple[str, str]]) -> None: ...

    def delete_version(self, path: str, sha: str) -> None: ...


class ChunkReader(Protocol):
    """The reads retrieval makes: nearest chunks, chunks by id, and a view of other writers.

    `all_chunks` is only for a one-time backfill of an index built before keyword rows existed.
    """

    def query(self, embedding: Sequence[float], n: int,
              where: dict[str, Any] | None) -> list[tuple[StoredChunk, float]]: ...

    def get(self, ids: Sequence[str]) -> list[StoredChunk]: ...

    def all_chunks(self, where: dict[str, Any] | None = None, batch: int = 5000) -> list[StoredChunk]: ...

    def refresh(self) -> None: ...

    def require_content(self) -> None: ...
