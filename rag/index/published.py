"""The keyword index in the Chroma server, published by the ingester for every replica.

Why in Chroma: past one machine the Chroma server is the one thing replicas share (a managed
Chroma offers nothing else), while the BM25 index is built from the manifest, which stays on the
ingesting machine. So at the end of every `rag ingest` against a server the ingester publishes the
generation's saved keyword folder (`rag.index.keyword_files`), plus the article list and which
chunks have sentence rows, into the collection `<collection>-published`: each file compressed and
cut into parts of a few MB (a request stays far under the server's payload limit), then one small
record, `current`, naming the generation, its files and their checksums. Readers poll that record
and download a generation they do not have (`rag.index.committed.ServerIndex`).

Order makes it safe to read at any time: parts first, the record last, and parts of older
generations deleted only after the record moved on, keeping the previous generation for a reader
still downloading it (a reader that loses that race starts again from the new record).

One server holds one ingester's index: the record names the manifest it was built from, and an
ingest from another machine, whose manifest would replace the index with its own few files, is
refused (`claim`). A server that lost everything (wiped, or a new one at the same address) makes
the ingester forget what its manifest says is committed there, so the run writes it again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.core.errors import ConfigError
from rag.index.keyword_files import KeywordSnapshot, generation_folder, keyword_root, open_snapshot
from rag.index.manifest import Manifest
from rag.index.store import PUBLISHED_SUFFIX, SENTENCES_SUFFIX, ChunkStore, no_vectors

RECORD_ID = "current"
PART_BYTES = 4 * 2**20  # compressed bytes per part
PARTS_PER_GET = 4
ARTICLES_FILE = "articles.json"  # `Manifest.articles()` rows of the generation
WITHOUT_SENTENCES_FILE = "without_sentences.json"  # chunk ids the ingester stored no sentence rows for


log = logging.getLogger(__name__)


class Superseded(Exception):
    """The generation being downloaded was replaced (its parts pruned or rewritten): read the record again."""


@dataclass(frozen=True)
class Publication:
    """The `current` record: which generation the server holds, from which ingester, and its files
    as name -> (parts, bytes, sha256)."""

    generation: int
    ingester: str
    host: str
    index_dir: str
    published_at: float
    chunks: int
    sentences: int
    files: dict[str, tuple[int, int, str]]

    def metadata(self) -> dict[str, Any]:
        return {**asdict(self), "kind": "record", "files": json.dumps(self.files)}

    @classmethod
    def from_metadata(cls, meta: Any) -> Publication:
        files = {name: (int(p), int(b), str(h)) for name, (p, b, h) in json.loads(str(meta["files"])).items()}
        return cls(int(meta["generation"]), str(meta["ingester"]), str(meta["host"]), str(meta["index_dir"]),
                   float(meta["published_at"]), int(meta["chunks"]), int(meta["sentences"]), files)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.published_at))
        return f"generation {self.generation} from {self.host}:{self.index_dir} at {when}"


_published_here = [0.0]  # monotonic time of this process's last publication


def published_here() -> float:
    """When this process last published (monotonic; 0 if never): its own readers look again at once."""
    return _published_here[0]


def current(store: ChunkStore) -> Publication | None:
    """The server's `current` record; None when nothing was ever published (or the server was wiped)."""
    with store.reachable():
        page = store.companion(PUBLISHED_SUFFIX).get(ids=[RECORD_ID], include=["metadatas"])
    metas = page["metadatas"] or []
    return Publication.from_metadata(metas[0]) if page["ids"] else None


# --- the ingester's side ------------------------------------------------------------------------
def claim(manifest: Manifest, store: ChunkStore) -> None:
    """Before an ingest writes to a server: refuse one whose index another ingester keeps, and
    forget the manifest's files when the server holds nothing at all."""
    if not store.on_server:
        return
    record = current(store)
    files = manifest.files()
    if record is None and files and store.count() == 0:
        log.warning("the Chroma server at %s holds none of the %d files this manifest committed there (wiped?): "
                    "they are ingested again", store.settings.chroma_url, len(files))
        manifest.forget(list(files))
        files = {}
    if record is not None and record.ingester != manifest.ingester_id():
        name = store.settings.collection
        raise ConfigError(
            f"The Chroma server at {store.settings.chroma_url} holds the index of another ingester "
            f"({record.describe()}); ingest there. This machine's manifest ({manifest.path}) would replace "
            f"that index with its own files. To start the server's index afresh, delete its collections "
            f"{name}, {name}{SENTENCES_SUFFIX} and {name}{PUBLISHED_SUFFIX}."
        )
    chunks = store.count() if record is None and not files else 0
    if chunks:
        raise ConfigError(
            f"The Chroma server at {store.settings.chroma_url} already holds {chunks:,} chunks that this "
            f"machine's manifest ({manifest.path}) does not know; ingest from the machine that wrote them."
        )


def publish_generation(manifest: Manifest, store: ChunkStore) -> KeywordSnapshot:
    """Save the current generation's keyword index beside the manifest and, on a server, publish it
    there with the sentence rows brought in line with the manifest. Ingest calls this per run."""
    snapshot = open_snapshot(manifest, store)
    if not store.on_server:
        return snapshot
    claim(manifest, store)
    _sync_sentences(manifest, store)
    record = current(store)
    if record is not None and record.generation >= snapshot.generation:
        return snapshot  # published already (or a newer one by a concurrent ingest on this machine)
    generation, articles, with_sentences = manifest.published_rows()
    if generation != snapshot.generation:
        return snapshot  # another ingest on this machine committed since: it publishes its own
    folder = generation_folder(keyword_root(manifest), generation)
    without = [cid for cid in snapshot.chunk_ids.tolist() if cid not in with_sentences]
    extras = {ARTICLES_FILE: json.dumps(articles).encode(), WITHOUT_SENTENCES_FILE: json.dumps(without).encode()}
    files = _upload(store, generation, _folder_files(folder, extras))
    publication = Publication(generation, manifest.ingester_id(), socket.gethostname(), str(manifest.path.parent),
                              time.time(), snapshot.size, len(with_sentences), files)
    with store.reachable():
        published = store.companion(PUBLISHED_SUFFIX)
        published.upsert(ids=[RECORD_ID], embeddings=no_vectors(1), metadatas=[publication.metadata()])
        keep = record.generation if record is not None else generation
        stale: Any = {"$and": [{"kind": "part"}, {"generation": {"$lt": keep}}]}
        published.delete(where=stale)
    _published_here[0] = time.monotonic()
    return snapshot


def _sync_sentences(manifest: Manifest, store: ChunkStore) -> None:
    """Upload sentence rows the server lacks (an index written before they were kept there, or a
    server that lost some) and drop rows the manifest no longer has; only when the counts differ."""
    if store.sentence_count() == manifest.sentence_count():
        return
    mine, theirs = manifest.sentence_ids(), store.sentence_ids()
    missing = sorted(mine - theirs)
    for start in range(0, len(missing), 1000):
        store.add_sentences(manifest.packed_sentences(missing[start:start + 1000]))
    store.delete_sentences(sorted(theirs - mine))


def _folder_files(folder: Path, extras: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield path.relative_to(folder).as_posix(), path.read_bytes()
    yield from extras.items()


def _upload(store: ChunkStore, generation: int, files: Iterator[tuple[str, bytes]]) -> dict[str, tuple[int, int, str]]:
    """Write each file as compressed parts; returns the record's file table."""
    table: dict[str, tuple[int, int, str]] = {}
    with store.reachable():
        published = store.companion(PUBLISHED_SUFFIX)
        for name, data in files:
            packed = zlib.compress(data, 1)
            parts = [packed[i:i + PART_BYTES] for i in range(0, len(packed), PART_BYTES)]
            for number, part in enumerate(parts):
                published.upsert(ids=[_part_id(generation, name, number)], embeddings=no_vectors(1),
                                 metadatas=[{"kind": "part", "generation": generation,
                                             "data": base64.b64encode(part).decode()}])
            table[name] = (len(parts), len(data), hashlib.sha256(data).hexdigest())
    return table


# --- a reader's side ----------------------------------------------------------------------------
def download(store: ChunkStore, record: Publication, folder: Path) -> None:
    """Write the record's files under `folder`, checked against their checksums; raises
    `Superseded` when a newer publication pruned or rewrote them meanwhile."""
    for name, (parts, _, sha) in record.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, inflate = hashlib.sha256(), zlib.decompressobj()
        with target.open("wb") as out:
            for start in range(0, parts, PARTS_PER_GET):
                for data in _parts(store, record.generation, name, range(start, min(parts, start + PARTS_PER_GET))):
                    block = inflate.decompress(data)
                    digest.update(block)
                    out.write(block)
            block = inflate.flush()
            digest.update(block)
            out.write(block)
        if digest.hexdigest() != sha:
            raise Superseded(name)


def _parts(store: ChunkStore, generation: int, name: str, numbers: range) -> list[bytes]:
    ids = [_part_id(generation, name, n) for n in numbers]
    with store.reachable():
        page = store.companion(PUBLISHED_SUFFIX).get(ids=ids, include=["metadatas"])
    found = dict(zip(page["ids"], page["metadatas"] or []))
    if len(found) != len(ids):
        raise Superseded(name)
    return [base64.b64decode(str(found[i]["data"])) for i in ids]


def _part_id(generation: int, name: str, number: int) -> str:
    return f"gen-{generation}/{name}/{number}"
