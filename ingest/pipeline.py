"""`ingest_path`: a folder (or one file) in, an up-to-date index out, incrementally and crash-safely.

Files are read, cleaned, chunked and tokenised for BM25 in a background thread (`read_ahead`)
while the model embeds; chunks of many files are embedded and written together, one batch of
about `RAG_INGEST_BATCH_CHUNKS` chunks at a time, so memory stays flat and Chroma sees one write
per batch rather than one per file. Per batch the order is: note the intent for every file in
the manifest, write the new versions' chunks beside the old ones, commit the batch's manifest
rows (with their keyword tokens), delete the old versions, clear the intent. Readers trust only
committed (path, sha) pairs, so a kill at any point leaves the index answering from whole file
versions, and the next run sweeps up the intent it finds. At the end the BM25 index of the new
generation is saved beside the manifest (`rag.index.keyword_files`) and, with a Chroma server,
published there for every replica (`rag.index.published`). Replicas answer from the published
generation, so with a server the old versions of changed files are deleted only after the run has
published (their intent rows stay until then, so a killed run's sweep still deletes them).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from llama_index.core.schema import TextNode

from ingest.article import Article
from ingest.chunking import Chunker, ChunkingConfig, embed_text
from ingest.clean import parse_page
from ingest.errors import FileRejected, IngestError
from ingest.read_ahead import read_ahead
from ingest.readers import READABLE_SUFFIXES, read_page
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
PIPELINE_VERSION = "6"  # 6: sentence vectors for the reader
FIRST_BATCH_CHUNKS = 64  # a small first batch starts the model while the reader fills the next ones


@dataclass
class IngestReport:
    files: int = 0  # files (re)ingested in this run
    articles: int = 0
    chunks: int = 0
    skipped: int = 0  # unchanged since the last run
    removed: int = 0  # gone from disk, their chunks deleted
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0
    word_pieces: int = 0  # fed to the embedding model in this run
    embed_seconds: float = 0.0  # of `seconds`, inside the embedder
    keyword_seconds: float = 0.0  # of `seconds`, building and saving the BM25 index of the new generation
    write_seconds: float = 0.0  # of `seconds`, Chroma writing the chunks (mostly its HNSW insertion)

    def summary(self) -> str:
        line = (
            f"files: {self.files}, articles: {self.articles}, chunks: {self.chunks}, "
            f"skipped: {self.skipped}, removed: {self.removed}, errors: {len(self.errors)} "
            f"({self.seconds:.1f} s)"
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
    path: str
    root: str
    source: str
    sha: str
    articles: list[tuple[str, Article, int]]
    nodes: list[TextNode]
    keyword_tokens: list[list[str]]
    sentence_spans: list[list[tuple[int, int]]]  # per node, into its text (`rag.core.text.sentence_spans`)


@dataclass
class _Outcome:
    """What reading one file gave: a new version to write, or an error, or nothing (unchanged)."""

    source: str
    parsed: _Parsed | None = None
    error: str | None = None


def ingest_path(
    path: Path,
    settings: Settings,
    *,
    chunking: ChunkingConfig = ChunkingConfig(),
    embedder: Embedder | None = None,
    progress: bool | None = None,
    on_file: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the index in line with `path`; bad files are reported by name and skipped."""
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder")
    started = time.perf_counter()
    report = IngestReport()
    root = path.absolute() if path.is_dir() else path.absolute().parent
    manifest = Manifest(settings.manifest_path)
    store = ChunkStore(settings)
    try:
        claim(manifest, store)  # a Chroma server holds one ingester's index
        _sweep_interrupted(manifest, store)
        embedder = embedder or get_embedder(settings)
        stats_before = _embed_stats(embedder)
        committed = manifest.committed_versions()
        writer = _BatchWriter(manifest, store, embedder, report, committed, settings.ingest_batch_chunks,
                              keep_replaced=store.on_server)
        chunker = Chunker(chunking)
        fingerprint = _fingerprint(chunking, embedder)
        files = list(_discover(path, report))

        def parse(file: Path) -> _Outcome:
            return _parse(file, root, committed, chunker, fingerprint)

        # Read ahead by up to two batches' worth of files, so the next batch is ready when one is written.
        ahead = read_ahead(files, parse, depth=max(16, 2 * settings.ingest_batch_chunks // 8))
        for file, outcome in _progress(ahead, len(files), progress):
            if on_file:
                on_file(file.name)
            if outcome.error:
                report.errors.append((outcome.source, outcome.error))
            elif outcome.parsed is None:
                report.skipped += 1
            else:
                writer.add(outcome.parsed)
        writer.flush()
        if path.is_dir():
            report.removed = _remove_missing(root, {str(f.absolute()) for f in files}, manifest, store)
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


def _embed_stats(embedder: Embedder) -> tuple[int, float]:
    """(word pieces, seconds) the embedder has counted so far; (0, 0) for one that does not count."""
    stats = getattr(embedder, "stats", None)
    return (stats.word_pieces, stats.seconds) if stats is not None else (0, 0.0)


def _discover(path: Path, report: IngestReport) -> Iterator[Path]:
    """Supported files under `path`, sorted; others are reported, hidden files ignored."""
    if path.is_file():
        yield path
        return
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if file.is_dir() and not file.is_symlink():
            continue
        if file.suffix.lower() in READABLE_SUFFIXES or file.is_symlink():
            yield file
        else:
            report.errors.append((str(rel), f"skipped: unsupported file type {file.suffix or '(none)'!r}"))


def _fingerprint(chunking: ChunkingConfig, embedder: Embedder) -> bytes:
    """What else, beside the text, decides a file's chunks and vectors: a change re-ingests it."""
    vectors = f"{type(embedder).__name__}:{'int8' if getattr(embedder, 'quantized', False) else 'fp32'}"
    return f"{PIPELINE_VERSION}|{chunking}|{vectors}".encode()


def _parse(file: Path, root: Path, committed: dict[str, str], chunker: Chunker, fingerprint: bytes) -> _Outcome:
    """A file's version is its text plus the pipeline that read it, so either changing re-ingests it.

    The reader applies the size cap and the file checks before anything is hashed or held.
    Runs in the read-ahead thread: it reads `committed` and touches nothing else shared.
    """
    key = str(file.absolute())
    source = _display_name(file, root)
    try:
        page = read_page(file)
    except FileRejected as exc:
        return _Outcome(source, error=exc.reason)
    sha = hashlib.sha256(page.text.encode() + fingerprint).hexdigest()
    if committed.get(key) == sha:
        return _Outcome(source)
    try:
        articles = parse_page(page.text, source, page.meta or None)
    except FileRejected as exc:
        return _Outcome(source, error=exc.reason)
    numbered = [(a, chunker.chunk(a, key, sha)) for a in articles]
    ids = [(nodes[0].metadata["article_id"] if nodes else "", a, len(nodes)) for a, nodes in numbered]
    nodes = [n for _, ns in numbered for n in ns]
    if not nodes:
        return _Outcome(source, error="skipped: no article text left after cleaning")
    tokens = tokenize([keyword_text(str(n.metadata.get("title", "")), n.text) for n in nodes])
    spans = [sentence_spans(n.text) for n in nodes]
    return _Outcome(source, _Parsed(key, str(root), source, sha, [t for t in ids if t[0]], nodes, tokens, spans))


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


def _remove_missing(root: Path, present: set[str], manifest: Manifest, store: ChunkWriter) -> int:
    """Uncommit files gone from disk, then delete their chunks; a kill in between leaves only
    uncommitted chunks with a pending row, which the next run's sweep deletes."""
    gone = [path for path in manifest.files(str(root)) if path not in present]
    if gone:
        manifest.begin([(path, "") for path in gone])
        manifest.forget(gone, keep_pending=True)
        store.delete_files(gone)
        manifest.clear_pending(gone)
    return len(gone)


def _display_name(file: Path, root: Path) -> str:
    try:
        return str(file.absolute().relative_to(root))
    except ValueError:
        return file.name


def _progress(items: Iterator[tuple[Path, _Outcome]], total: int,
              enabled: bool | None) -> Iterator[tuple[Path, _Outcome]]:
    if enabled is False or total < 20:
        return items
    from tqdm import tqdm

    return iter(tqdm(items, total=total, desc="ingest", unit="file", disable=None if enabled is None else not enabled))
