"""The Chroma collection behind the index: on disk in-process by default, or a `chroma run` server.

Both ingest (writes) and retrieval (reads) go through `ChunkStore`, so the metadata keys and the
distance metric are defined once. Embeddings are always computed by us and passed in; Chroma's
own default embedding function (which would download a model) is never used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from rag.core.errors import ConfigError, IndexMissingError, IndexUnavailableError
from rag.core.settings import Settings
from rag.core.types import StoredChunk

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

# Per-chunk metadata written at ingest; retrieval and the chat page read these keys.
CHUNK_FIELDS = ("path", "file_sha", "article_id", "title", "outlet", "date", "byline", "source", "kind", "position")
# The chunk's text is written as this metadata value, not as Chroma's document. Why: chromadb 1.5
# indexes every document for its own full-text search (SQLite FTS5, trigram tokenizer), which we
# never query (keyword search is bm25s, `rag.index.keyword`), and the embedded client builds that
# index even when a collection schema leaves it out; writing text as metadata is the faster add
# (docs/perf/README.md). Indexes written
# before this keep their text in the document; reads take either.
TEXT_KEY = "text"


def stored_chunk(chunk_id: str, document: str | None, meta: Any) -> StoredChunk:
    """A chunk as read back: its text from `TEXT_KEY`, or from the document of an older index."""
    fields = dict(meta or {})
    text = fields.pop(TEXT_KEY, None)
    return StoredChunk(chunk_id, str(text if text is not None else document or ""), fields)


T = TypeVar("T")


def _included(field: list[T] | None) -> list[T]:
    """Chroma types every result field as optional; the ones we asked for in `include` are there."""
    if field is None:
        raise ValueError("Chroma returned a result without a field it was asked to include")
    return field


def _is_connection_error(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError)) or "connect" in str(exc).lower()


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"RAG_CHROMA_URL={settings.chroma_url!r} is not an http(s) URL")
    return chromadb.HttpClient(
        host=url.hostname,
        port=url.port or (443 if url.scheme == "https" else 8000),
        ssl=url.scheme == "https",
        settings=chroma_settings,
    )


class ChunkStore:
    """Chunks with embeddings and flat metadata, in one Chroma collection (cosine distance)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._collection: Collection | None = None
        self._batch_limit = 0

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            with self.reachable():
                client = _client(self.settings)
                self._batch_limit = int(client.get_max_batch_size())
                self._collection = client.get_or_create_collection(
                    self.settings.collection,
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                )
        return self._collection

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """A Chroma server that is down becomes a `RagError` naming it; the next call reconnects."""
        try:
            yield
        except Exception as exc:  # chromadb raises ValueError / httpx errors for a dead server
            if not self.settings.chroma_url or not _is_connection_error(exc):
                raise
            self.reconnect()
            raise IndexUnavailableError(
                f"The Chroma server at {self.settings.chroma_url} is not answering ({type(exc).__name__}); "
                "check that `chroma run` is up, or unset RAG_CHROMA_URL to use the on-disk index."
            ) from exc

    def reconnect(self) -> None:
        """Forget the client, e.g. after a Chroma server restart dropped the connection."""
        self._collection = None

    def refresh(self) -> None:
        """See what another process wrote. chromadb keeps one in-memory copy of an on-disk index
        per process and per path, which does not notice a separate `rag ingest`; dropping that
        path's entry from chromadb's cache makes the next client load the index from disk."""
        if not self.settings.chroma_url:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient._identifier_to_system.pop(str(self.settings.chroma_dir), None)
        self.reconnect()

    def count(self) -> int:
        with self.reachable():
            return self.collection.count()

    def add(
        self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metas: Sequence[dict[str, Any]]
    ) -> None:
        """Write chunks with their vectors, as few calls as Chroma's batch limit allows.

        Written directly, not through llama-index's adapter, which would store each node again as
        JSON in its metadata (twice the bytes, and a second serialisation per chunk).
        """
        with self.reachable():
            collection = self.collection
            step = self._batch_limit
            for i in range(0, len(ids), step):
                collection.add(
                    ids=list(ids[i : i + step]),
                    embeddings=vectors[i : i + step],
                    metadatas=[
                        {**{k: m[k] for k in CHUNK_FIELDS if k in m}, TEXT_KEY: text}
                        for m, text in zip(metas[i : i + step], texts[i : i + step])
                    ],
                )

    def delete_file(self, path: str, except_sha: str | None = None) -> None:
        """Delete a file's chunks, optionally keeping one version of it."""
        where: dict[str, Any] = {"path": path}
        if except_sha is not None:
            where = {"$and": [{"path": path}, {"file_sha": {"$ne": except_sha}}]}
        with self.reachable():
            self.collection.delete(where=where)

    def delete_files(self, paths: Sequence[str]) -> None:
        """Delete every chunk of these files, in one call per few hundred files."""
        with self.reachable():
            for i in range(0, len(paths), 500):
                where: Any = {"path": {"$in": list(paths[i : i + 500])}}
                self.collection.delete(where=where)

    def delete_older(self, versions: Sequence[tuple[str, str]]) -> None:
        """Keep only the given (path, sha) version of each file; one call per few hundred files."""
        clauses: list[dict[str, Any]] = [{"$and": [{"path": p}, {"file_sha": {"$ne": s}}]} for p, s in versions]
        with self.reachable():
            for i in range(0, len(clauses), 200):
                part = clauses[i : i + 200]
                self.collection.delete(where=part[0] if len(part) == 1 else {"$or": part})

    def delete_version(self, path: str, sha: str) -> None:
        with self.reachable():
            self.collection.delete(where={"$and": [{"path": path}, {"file_sha": sha}]})

    def get(self, ids: Sequence[str]) -> list[StoredChunk]:
        """These chunks' texts and metadata (those still stored), in the order asked for."""
        if not ids:
            return []
        with self.reachable():
            page = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        found = {
            cid: stored_chunk(cid, doc, meta)
            for cid, doc, meta in zip(page["ids"], _included(page["documents"]), _included(page["metadatas"]))
        }
        return [found[cid] for cid in ids if cid in found]

    def query(
        self, embedding: Sequence[float], n: int, where: dict[str, Any] | None
    ) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks with their cosine similarity."""
        if n <= 0:
            return []
        with self.reachable():
            result = self.collection.query(
                query_embeddings=[embedding],
                n_results=n,
                where=where or None,
                include=["documents", "metadatas", "distances"],
            )
        rows = zip(result["ids"][0], _included(result["documents"])[0], _included(result["metadatas"])[0],
                   _included(result["distances"])[0])
        return [(stored_chunk(cid, doc, meta), 1.0 - dist) for cid, doc, meta, dist in rows]

    def all_chunks(self, where: dict[str, Any] | None = None, batch: int = 5000) -> list[StoredChunk]:
        """Every chunk's text and metadata, paged so a large collection is not fetched at once."""
        chunks: list[StoredChunk] = []
        offset = 0
        while True:
            with self.reachable():
                page = self.collection.get(
                    where=where or None, include=["documents", "metadatas"], limit=batch, offset=offset
                )
            for cid, doc, meta in zip(page["ids"], _included(page["documents"]), _included(page["metadatas"])):
                chunks.append(stored_chunk(cid, doc, meta))
            if len(page["ids"]) < batch:
                return chunks
            offset += batch

    def require_content(self) -> None:
        if self.count() == 0:
            where = self.settings.chroma_url or self.settings.chroma_dir
            raise IndexMissingError(f"No articles indexed at {where}: run `rag ingest data/corpus` first.")
