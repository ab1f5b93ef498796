"""`ingest`: folders, files, feeds, dumps and URLs in, an up-to-date index out, incrementally and
crash-safely (`ingest_path` for one folder or file).

The unit the index versions is a document (`ingest.documents`): a whole file, or one article of a
feed, a dump or a fetched page, keyed by its path or by its address. Documents are read, cleaned,
chunked and tokenised for BM25 in a background thread (`read_ahead`), which pulls them lazily
from the sources (`ingest.sources`; a dump is streamed a row at a time), while the model embeds;
chunks of many documents are embedded and written together, one batch of
about `RAG_INGEST_BATCH_CHUNKS` chunks at a time, so memory stays flat and Chroma sees one write
per batch rather than one per file. Per batch the order is: note the intent for every file in
the manifest, write the new versions' chunks beside the old ones, commit the batch's manifest
rows (with their keyword tokens), delete the old versions, clear the intent. Readers trust only
committed (path, sha) pairs, so a kill at any point leaves the index answering from whole file
versions, and the next run sweeps up the intent it finds; an unchanged document (same key and
version) is skipped before it is cleaned, so a resumed run redoes no committed batch. In the
manifest a document is a "file" row whose path is its key. At the end the BM25 index of the new
generation is saved beside the manifest (`rag.index.keyword_files`).

One article met in two forms (a feed item and a saved page with the same URL, or a URL twice in a
dump) is one document: within its own source a later copy changes nothing; from another
source, the form with more text replaces the one held (a saved page beats the feed's summary).

With a Chroma server the BM25 index is also published there for every replica
(`rag.index.published`). Replicas answer from the published generation, so with a server the old
versions of changed files are deleted only after the run has published (their intent rows stay
until then, so a killed run's sweep still deletes them).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from llama_index.core.schema import TextNode

from ingest.article import Article
from ingest.chunking import Chunker, ChunkingConfig, embed_text
from ingest.clean import parse_page
from ingest.documents import Document, Rejected, Unit
from ingest.errors import FileRejected, IngestError
from ingest.fetch import is_url
from ingest.identity import names_a_file
from ingest.read_ahead import read_ahead
from ingest.sources import ReadOptions, units
from rag.core.protocols import ChunkWriter, Embedder, SpanEmbedder
from rag.core.settings import Settings
from rag.core.text import sentence_spans
from rag.embed.choose import get_embedder
from rag.index.keyword import keyword_text, tokenize
from rag.index.keyword_files import chunk_row
from rag.index.manifest import Commit, FileRecord, Manifest
from rag.index.published import claim, publish_generation
from rag.index.sentence_vectors import pack
from rag.index.store import ChunkStore

# Bump when cleaning or chunking changes what a file turns into: every file is then re-ingested.
PIPELINE_VERSION = "7"  # 7: cleaning and metadata by general signals (changed titles, outlets, dates re-ingest)
FIRST_BATCH_CHUNKS = 64  # a small first batch starts the model while the reader fills the next ones


@dataclass
class IngestReport:
    files: int = 0  # documents (files, feed items, dump rows, pages) (re)ingested in this run
    articles: int = 0
    chunks: int = 0
    skipped: int = 0  # unchanged since the last run
    duplicates: int = 0  # already indexed in another form, or repeated within their source
    removed: int = 0  # gone from disk, their chunks deleted
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, line, item or URL; reason)
    seconds: float = 0.0
    word_pieces: int = 0  # fed to the embedding model in this run
    embed_seconds: float = 0.0  # of `seconds`, inside the embedder
    keyword_seconds: float = 0.0  # of `seconds`, building and saving the BM25 index of the new generation
    write_seconds: float = 0.0  # of `seconds`, Chroma writing the chunks (mostly its HNSW insertion)

    def summary(self) -> str:
        line = (
            f"documents: {self.files}, articles: {self.articles}, chunks: {self.chunks}, "
            f"skipped: {self.skipped}, duplicates: {self.duplicates}, removed: {self.removed}, "
            f"errors: {len(self.errors)} ({self.seconds:.1f} s)"
        )
        if self.word_pieces and self.seconds and self.embed_seconds:
            line += (
                f"\nembedded {self.word_pieces:,} word pieces: {self.word_pieces / self.seconds:,.0f}/s over the "
                f"whole ingest, {self.word_pieces / self.embed_seconds:,.0f}/s inside the embedder "
                f"({self.embed_seconds / self.seconds:.0%} of the time); Chroma writes "
                f"{self.write_seconds:.1f} s ({self.write_seconds / self.seconds:.0%})"
            )
        return line


@dataclass
class _Parsed:
    path: str  # the document's key
    root: str
    source: str
    sha: str
    articles: list[tuple[str, Article, int]]
    nodes: list[TextNode]
    keyword_tokens: list[list[str]]
    sentence_spans: list[list[tuple[int, int]]]  # per node, into its text (`rag.core.text.sentence_spans`)


@dataclass
class _Outcome:
    """What reading one document gave: a new version to write, or an error, or nothing (unchanged)."""

    source: str
    key: str  # "" for an error that is not a whole file's
    root: str
    parsed: _Parsed | None = None
    error: str | None = None


def ingest_path(path: Path, settings: Settings, **kwargs: object) -> IngestReport:
    """Bring the index in line with one folder or file; see `ingest`."""
    return ingest([path], settings, **kwargs)  # type: ignore[arg-type]


def ingest(
    sources: Sequence[str | Path],
    settings: Settings,
    *,
    options: ReadOptions = ReadOptions(),
    chunking: ChunkingConfig = ChunkingConfig(),
    embedder: Embedder | None = None,
    progress: bool | None = None,
    on_file: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the index in line with `sources` (folders, files, URLs); bad input is reported by
    name (file, line, item or URL) and skipped. A folder's documents gone from disk are removed;
    the items of feeds and dumps stay when they drop out of a later copy (feeds roll)."""
    names = [str(s) for s in sources]
    missing = [n for n in names if not is_url(n) and not Path(n).exists()]
    if missing:
        raise IngestError(f"{missing[0]}: no such file or folder")
    started = time.perf_counter()
    report = IngestReport()
    manifest = Manifest(settings.manifest_path)
    store = ChunkStore(settings)
    try:
        claim(manifest, store)  # a Chroma server holds one ingester's index
        _sweep_interrupted(manifest, store)
        embedder = embedder or get_embedder(settings)
        stats_before = _embed_stats(embedder)
        records = manifest.files()
        committed = {path: r.sha for path, r in records.items()}
        held = {path: (r.root, r.chunks) for path, r in records.items()}  # who holds each key, and how much
        del records  # of a 100k-article dump they are tens of MB, not needed past here
        writer = _BatchWriter(manifest, store, embedder, report, committed, settings.ingest_batch_chunks,
                              keep_replaced=store.on_server)
        chunker = Chunker(chunking)
        fingerprint = _fingerprint(chunking, embedder)
        folders: dict[str, set[str]] = {str(Path(n).absolute()): set() for n in names if Path(n).is_dir()}

        def parse(unit: Unit) -> _Outcome:
            return _parse(unit, committed, chunker, fingerprint)

        # Read ahead by up to two batches' worth of documents, so the next batch is ready when one is written.
        ahead = read_ahead(units(names, options), parse, depth=max(16, 2 * settings.ingest_batch_chunks // 8))
        _consume(_progress(ahead, progress), writer, held, folders, report, on_file)
        writer.flush()
        for root, present in folders.items():
            report.removed += _remove_missing(root, present, manifest, store)
        keyword_started = time.perf_counter()
        publish_generation(manifest, store)  # the keyword index of this generation, saved for readers
        report.keyword_seconds = time.perf_counter() - keyword_started
        writer.delete_replaced()
        pieces, seconds = _embed_stats(embedder)
        report.word_pieces, report.embed_seconds = pieces - stats_before[0], seconds - stats_before[1]
    finally:
        manifest.close()
    report.seconds = time.perf_counter() - started
    return report


def _consume(outcomes: Iterable[tuple[Unit, _Outcome]], writer: _BatchWriter, held: dict[str, tuple[str, int]],
             folders: dict[str, set[str]], report: IngestReport, on_file: Callable[[str], None] | None) -> None:
    """Hand each new version to the writer, unless another form of the same article wins."""
    seen: set[str] = set()
    for _, outcome in outcomes:
        if on_file:
            on_file(outcome.source)
        if outcome.key and outcome.root in folders:
            folders[outcome.root].add(outcome.key)
        if outcome.error:
            report.errors.append((outcome.source, outcome.error))
        elif outcome.parsed is None:
            report.skipped += 1
            seen.add(outcome.key)
        elif _wins(outcome.parsed, held.get(outcome.key), outcome.key in seen):
            writer.add(outcome.parsed)
            held[outcome.key] = (outcome.root, len(outcome.parsed.nodes))
            seen.add(outcome.key)
        else:
            report.duplicates += 1


def _wins(new: _Parsed, holder: tuple[str, int] | None, seen: bool) -> bool:
    """Whether a new version replaces the one held (committed, or chosen earlier in this run).

    Within the source that holds it, a changed document is an edit and wins, but a repeat in the
    same run (a URL twice in one dump) does not; from another source (the same URL as a feed item
    and as a saved page) the form with more chunks wins, so the fuller text stays whatever order
    the forms come in, and an unchanged second run changes nothing.
    """
    if holder is None:
        return True
    root, chunks = holder
    if root == new.root or names_a_file(new.path):
        return not seen
    return len(new.nodes) > chunks


def _embed_stats(embedder: Embedder) -> tuple[int, float]:
    """(word pieces, seconds) the embedder has counted so far; (0, 0) for one that does not count."""
    stats = getattr(embedder, "stats", None)
    return (stats.word_pieces, stats.seconds) if stats is not None else (0, 0.0)


def _fingerprint(chunking: ChunkingConfig, embedder: Embedder) -> bytes:
    """What else, beside the text, decides a file's chunks and vectors: a change re-ingests it."""
    vectors = f"{type(embedder).__name__}:{'int8' if getattr(embedder, 'quantized', False) else 'fp32'}"
    return f"{PIPELINE_VERSION}|{chunking}|{vectors}".encode()


def _parse(unit: Unit, committed: dict[str, str], chunker: Chunker, fingerprint: bytes) -> _Outcome:
    """A document's version is its text (and handed-over metadata) plus the pipeline that read
    it, so either changing re-ingests it; an unchanged one is skipped before it is cleaned.

    Runs in the read-ahead thread: it reads `committed` and touches nothing else shared.
    """
    if isinstance(unit, Rejected):
        return _Outcome(unit.source, unit.key, unit.root, error=unit.reason)
    sha = hashlib.sha256(unit.version() + fingerprint).hexdigest()
    if committed.get(unit.key) == sha:
        return _Outcome(unit.source, unit.key, unit.root)
    try:
        articles = parse_page(unit.text, unit.source, dict(unit.meta) or None)
    except FileRejected as exc:
        return _Outcome(unit.source, unit.key, unit.root, error=exc.reason)
    parsed = _chunked(unit, sha, articles, chunker)
    if parsed is None:
        return _Outcome(unit.source, unit.key, unit.root, error="skipped: no article text left after cleaning")
    return _Outcome(unit.source, unit.key, unit.root, parsed)


def _chunked(doc: Document, sha: str, articles: list[Article], chunker: Chunker) -> _Parsed | None:
    numbered = [(a, chunker.chunk(a, doc.key, sha)) for a in articles]
    ids = [(nodes[0].metadata["article_id"] if nodes else "", a, len(nodes)) for a, nodes in numbered]
    nodes = [n for _, ns in numbered for n in ns]
    if not nodes:
        return None
    tokens = tokenize([keyword_text(str(n.metadata.get("title", "")), n.text) for n in nodes])
    spans = [sentence_spans(n.text) for n in nodes]
    return _Parsed(doc.key, doc.root, doc.source, sha, [t for t in ids if t[0]], nodes, tokens, spans)


class _BatchWriter:
    """Embeds and writes the chunks of many files at once, committing them as one manifest batch."""

    def __init__(self, manifest: Manifest, store: ChunkWriter, embedder: Embedder, report: IngestReport,
                 committed: dict[str, str], batch_chunks: int, keep_replaced: bool = False):
        self.manifest, self.store, self.embedder, self.report = manifest, store, embedder, report
        self.committed, self.batch_chunks, self.keep_replaced = committed, batch_chunks, keep_replaced
        self.replaced: list[tuple[str, str]] = []  # (path, new sha) whose old versions wait for `delete_replaced`
        self.pending: list[_Parsed] = []
        self.pending_chunks = 0
        self.first = True

    def add(self, parsed: _Parsed) -> None:
        """Queue a version; one that replaces a queued version of the same document drops it."""
        for old in [p for p in self.pending if p.path == parsed.path]:
            self.pending.remove(old)
            self.pending_chunks -= len(old.nodes)
        self.pending.append(parsed)
        self.pending_chunks += len(parsed.nodes)
        if self.pending_chunks >= self.batch_chunks or (self.first and self.pending_chunks >= FIRST_BATCH_CHUNKS):
            self.first = False
            self.flush()

    def flush(self) -> None:
        """Write the new versions beside the old, commit them, then delete the old ones.

        The pending rows stay until the old versions are gone, so a kill at any point is swept up
        by the next run, and a committed version always has its chunks.
        """
        batch, self.pending, self.pending_chunks = self.pending, [], 0
        if not batch:
            return
        nodes = [n for p in batch for n in p.nodes]
        vectors, sentences = self._embed(nodes, [s for p in batch for s in p.sentence_spans])
        self.manifest.begin([(p.path, p.sha) for p in batch])
        with self._timing_writes():
            self.store.add([n.node_id for n in nodes], vectors, [n.text for n in nodes], [n.metadata for n in nodes],
                           sentences)
        by_chunk = dict(zip((n.node_id for n in nodes), sentences))
        self.manifest.commit([_commit(p, by_chunk) for p in batch], keep_pending=True)
        replaced = [(p.path, p.sha) for p in batch if p.path in self.committed]
        if self.keep_replaced:
            self.replaced += replaced
            self.manifest.clear_pending([p.path for p in batch if p.path not in self.committed])
        else:
            with self._timing_writes():
                self.store.delete_older(replaced)
            self.manifest.clear_pending([p.path for p in batch])
        for p in batch:
            self.committed[p.path] = p.sha
            self.report.files += 1
            self.report.articles += len(p.articles)
            self.report.chunks += len(p.nodes)

    def delete_replaced(self) -> None:
        """Delete the old versions kept back by `keep_replaced`, then their intent rows."""
        if self.replaced:
            with self._timing_writes():
                self.store.delete_older(self.replaced)
            self.manifest.clear_pending([path for path, _ in self.replaced])
            self.replaced = []

    def _embed(self, nodes: list[TextNode],
               spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[tuple[bytes, bytes] | None]]:
        """The chunks' vectors and, when the embedder can pool them, their sentences' packed
        vectors (`rag.index.sentence_vectors`); spans are into the chunk's text, which is embedded
        after its title/date prefix."""
        texts = [embed_text(n) for n in nodes]
        if not isinstance(self.embedder, SpanEmbedder):
            return np.asarray(self.embedder.get_text_embedding_batch(texts), np.float32), [None] * len(nodes)
        shifts = [t.rfind(n.text.rstrip()) for t, n in zip(texts, nodes)]  # llama-index strips the end
        spans = [s if shift >= 0 else [] for s, shift in zip(spans, shifts)]
        vectors, parts = self.embedder.embed_with_spans(
            texts, [[(a + shift, b + shift) for a, b in s] for s, shift in zip(spans, shifts)]
        )
        return vectors, [pack(s, v) if s else None for s, v in zip(spans, parts)]

    @contextmanager
    def _timing_writes(self) -> Iterator[None]:
        """Count the block's wall time as Chroma write time in the report."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.report.write_seconds += time.perf_counter() - started


def _commit(p: _Parsed, sentences: dict[str, tuple[bytes, bytes] | None]) -> Commit:
    record = FileRecord(p.path, p.root, p.source, p.sha, len(p.articles), len(p.nodes))
    rows = [chunk_row(n.node_id, n.metadata, t, sentences.get(n.node_id)) for n, t in zip(p.nodes, p.keyword_tokens)]
    return Commit(record, p.articles, rows)


def _sweep_interrupted(manifest: Manifest, store: ChunkWriter) -> None:
    """Finish what a killed run left: drop an uncommitted version, or the old one a commit replaced."""
    committed = manifest.committed_versions()
    pending = manifest.pending()
    for path, sha in pending.items():
        if path not in committed:
            store.delete_file(path)
        elif committed[path] == sha:
            store.delete_file(path, except_sha=sha)
        else:
            store.delete_version(path, sha)
    manifest.clear_pending(list(pending))


def _remove_missing(root: str, present: set[str], manifest: Manifest, store: ChunkWriter) -> int:
    """Uncommit a folder's documents gone from disk, then delete their chunks; a kill in between
    leaves only uncommitted chunks with a pending row, which the next run's sweep deletes."""
    gone = [path for path in manifest.files(root) if path not in present]
    if gone:
        manifest.begin([(path, "") for path in gone])
        manifest.forget(gone, keep_pending=True)
        store.delete_files(gone)
        manifest.clear_pending(gone)
    return len(gone)


def _progress(items: Iterator[tuple[Unit, _Outcome]], enabled: bool | None) -> Iterator[tuple[Unit, _Outcome]]:
    """A count of documents on a terminal (their number is unknown until a dump is read through)."""
    if enabled is False:
        return items
    from tqdm import tqdm

    return iter(tqdm(items, desc="ingest", unit="doc", disable=None if enabled is None else not enabled))
