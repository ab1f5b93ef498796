"""The Chroma collection behind the index: on disk in-process by default, or a `chroma run` server.

Both ingest (writes) and retrieval (reads) go through `ChunkStore`, so the metadata keys and the
distance metric are defined once. Embeddings are always computed by us and passed in; Chroma's
own default embedding function (which would download a model) is never used.

With a server, the server is the one thing replicas share, so two more collections live beside
the chunks: `<collection>-sentences`, the reader's sentence vectors (kept in the manifest on one
machine), written and deleted with their chunks under the same path and version; and
`<collection>-published`, the keyword index the ingester publishes (`rag.index.published`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from rag.core.errors import ConfigError, IndexMissingError, IndexUnavailableError
from rag.core.settings import Settings
from rag.core.types import StoredChunk
from rag.index.sentence_vectors import ChunkSentences, unpack

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
SENTENCES_SUFFIX, PUBLISHED_SUFFIX = "-sentences", "-published"


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


def _is_missing_collection(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


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


def no_vectors(n: int) -> np.ndarray:
    """Embeddings for records of the side collections, which are fetched by id, never searched."""
    return np.zeros((n, 1), dtype=np.float32)


def _sentence_meta(path: str, sha: str, spans: bytes, vectors: bytes) -> dict[str, Any]:
    return {"path": path, "file_sha": sha, "spans": base64.b64encode(spans).decode(),
            "vectors": base64.b64encode(vectors).decode()}


class ChunkStore:
    """Chunks with embeddings and flat metadata, in one Chroma collection (cosine distance)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._collections: dict[str, Collection] = {}
        self._batch_limit = 0

    @property
    def collection(self) -> Collection:
        return self._named(self.settings.collection, {"hnsw": {"space": "cosine"}})

    @property
    def on_server(self) -> bool:
        return bool(self.settings.chroma_url)

    def companion(self, suffix: str) -> Collection:
        """A side collection on the same server (`SENTENCES_SUFFIX`, `PUBLISHED_SUFFIX`)."""
        return self._named(self.settings.collection + suffix)

    def _named(self, name: str, configuration: dict[str, Any] | None = None) -> Collection:
        found = self._collections.get(name)
        if found is None:
            with self.reachable():
                if self._client is None:
                    self._client = _client(self.settings)
                    self._batch_limit = int(self._client.get_max_batch_size())
                found = self._collections[name] = self._client.get_or_create_collection(
                    name, configuration=configuration, embedding_function=None
                )
        return found

    @contextmanager
    def reachable(self) -> Iterator[None]:
        """A Chroma server that is down, or lost its collections, becomes a `RagError` naming it;
        the next call reconnects."""
        try:
            yield
        except Exception as exc:  # chromadb raises ValueError / httpx errors for a dead server
            if not self.on_server or not (_is_connection_error(exc) or _is_missing_collection(exc)):
                raise
            self.reconnect()
            if _is_missing_collection(exc):
                raise IndexMissingError(
                    f"The Chroma server at {self.settings.chroma_url} no longer has the collections this process "
                    "was reading: it was wiped or reset. Re-run `rag ingest` on the ingesting machine."
                ) from exc
            raise IndexUnavailableError(
                f"The Chroma server at {self.settings.chroma_url} is not answering ({type(exc).__name__}); "
                "check that `chroma run` is up, or unset RAG_CHROMA_URL to use the on-disk index."
            ) from exc

    def reconnect(self) -> None:
        """Forget the client, e.g. after a Chroma server restart dropped the connection."""
        self._client = None
        self._collections.clear()

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
        self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metas: Sequence[dict[str, Any]],
        sentences: Sequence[tuple[bytes, bytes] | None] | None = None,
    ) -> None:
        """Write chunks with their vectors, as few calls as Chroma's batch limit allows; on a
        server, also their packed sentence vectors (`sentence_vectors.pack`, None for a chunk without).

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
        if self.on_server and sentences is not None:
            self.add_sentences([(cid, str(m.get("path", "")), str(m.get("file_sha", "")), *packed)
                                for cid, m, packed in zip(ids, metas, sentences) if packed is not None])

    def add_sentences(self, rows: Sequence[tuple[str, str, str, bytes, bytes]]) -> None:
        """(chunk_id, path, file sha, spans blob, vectors blob) into the server's sentence collection,
        under the same path and version as their chunks so the same deletes remove them."""
        with self.reachable():
            collection = self.companion(SENTENCES_SUFFIX)
            step = self._batch_limit
            for i in range(0, len(rows), step):
                part = rows[i : i + step]
                collection.add(ids=[r[0] for r in part], embeddings=no_vectors(len(part)),
                               metadatas=[_sentence_meta(*row[1:]) for row in part])

    def delete_file(self, path: str, except_sha: str | None = None) -> None:
        """Delete a file's chunks, optionally keeping one version of it."""
        where: dict[str, Any] = {"path": path}
        if except_sha is not None:
            where = {"$and": [{"path": path}, {"file_sha": {"$ne": except_sha}}]}
        self._delete(where)

    def delete_files(self, paths: Sequence[str]) -> None:
        """Delete every chunk of these files, in one call per few hundred files."""
        for i in range(0, len(paths), 500):
            self._delete({"path": {"$in": list(paths[i : i + 500])}})

    def delete_older(self, versions: Sequence[tuple[str, str]]) -> None:
        """Keep only the given (path, sha) version of each file; one call per few hundred files."""
        clauses: list[dict[str, Any]] = [{"$and": [{"path": p}, {"file_sha": {"$ne": s}}]} for p, s in versions]
        for i in range(0, len(clauses), 200):
            part = clauses[i : i + 200]
            self._delete(part[0] if len(part) == 1 else {"$or": part})

    def delete_version(self, path: str, sha: str) -> None:
        self._delete({"$and": [{"path": path}, {"file_sha": sha}]})

    def _delete(self, where: dict[str, Any]) -> None:
        """Delete matching chunks, and on a server their sentence rows."""
        with self.reachable():
            self.collection.delete(where=where)
            if self.on_server:
                self.companion(SENTENCES_SUFFIX).delete(where=where)

    def delete_sentences(self, ids: Sequence[str]) -> None:
        """Drop sentence rows by chunk id (rows the manifest no longer has, `published._sync_sentences`)."""
        with self.reachable():
            for i in range(0, len(ids), 1000):
                self.companion(SENTENCES_SUFFIX).delete(ids=list(ids[i : i + 1000]))

    def sentences(self, ids: Sequence[str]) -> dict[str, ChunkSentences]:
        """The server's sentence rows of those chunks that have one."""
        if not ids:
            return {}
        with self.reachable():
            page = self.companion(SENTENCES_SUFFIX).get(ids=list(dict.fromkeys(ids)), include=["metadatas"])
        return {cid: unpack(base64.b64decode(str(m["spans"])), base64.b64decode(str(m["vectors"])))
                for cid, m in zip(page["ids"], _included(page["metadatas"]))}

    def sentence_count(self) -> int:
        with self.reachable():
            return self.companion(SENTENCES_SUFFIX).count()

    def sentence_ids(self, batch: int = 5000) -> set[str]:
        """Every chunk id with a sentence row on the server, paged."""
        found: set[str] = set()
        with self.reachable():
            collection = self.companion(SENTENCES_SUFFIX)
            while True:
                page = collection.get(include=[], limit=batch, offset=len(found))
                found.update(page["ids"])
                if len(page["ids"]) < batch:
                    return found

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
