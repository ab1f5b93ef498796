"""`ingest_path`: a folder (or one file) in, an up-to-date index out, incrementally and crash-safely.

Per file the order is: note the intent in the manifest, write the new version's chunks beside the
old ones, delete the old version, commit the manifest row. Readers trust only committed
(path, sha) pairs, so a kill at any point leaves the index answering from whole file versions, and
the next run sweeps up the intent it finds. Files are embedded in batches across files and
streamed to Chroma, so memory stays flat however large the folder is.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.schema import TextNode

from ingest.article import Article
from ingest.chunking import Chunker, ChunkingConfig, embed_text
from ingest.clean import parse_page
from ingest.errors import FileRejected, IngestError
from ingest.readers import READABLE_SUFFIXES, read_page
from rag.index.embedding import get_embedder
from rag.index.manifest import FileRecord, Manifest
from rag.index.protocols import ChunkWriter, Embedder
from rag.index.settings import Settings
from rag.index.store import ChunkStore

# Bump when cleaning or chunking changes what a file turns into: every file is then re-ingested.
PIPELINE_VERSION = "5"
EMBED_BATCH_CHUNKS = 128


@dataclass
class IngestReport:
    files: int = 0  # files (re)ingested in this run
    articles: int = 0
    chunks: int = 0
    skipped: int = 0  # unchanged since the last run
    removed: int = 0  # gone from disk, their chunks deleted
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"files: {self.files}, articles: {self.articles}, chunks: {self.chunks}, "
            f"skipped: {self.skipped}, removed: {self.removed}, errors: {len(self.errors)} "
            f"({self.seconds:.1f} s)"
        )


@dataclass
class _Parsed:
    path: str
    root: str
    source: str
    sha: str
    articles: list[tuple[str, Article, int]]
    nodes: list[TextNode]


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
        _sweep_interrupted(manifest, store)
        embedder = embedder or get_embedder(settings)
        writer = _BatchWriter(manifest, store, embedder, report)
        chunker = Chunker(chunking)
        fingerprint = _fingerprint(chunking, embedder)
        files = list(_discover(path, report))
        for file in _progress(files, progress):
            if on_file:
                on_file(file.name)
            parsed = _parse(file, root, manifest, chunker, report, fingerprint)
            if parsed:
                writer.add(parsed)
        writer.flush()
        if path.is_dir():
            report.removed = _remove_missing(root, {str(f.absolute()) for f in files}, manifest, store)
    finally:
        manifest.close()
    report.seconds = time.perf_counter() - started
    return report


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


def _parse(
    file: Path, root: Path, manifest: Manifest, chunker: Chunker, report: IngestReport, fingerprint: bytes
) -> _Parsed | None:
    """A file's version is its text plus the pipeline that read it, so either changing re-ingests it.

    The reader applies the size cap and the file checks before anything is hashed or held.
    """
    key = str(file.absolute())
    source = _display_name(file, root)
    try:
        page = read_page(file)
    except FileRejected as exc:
        report.errors.append((source, exc.reason))
        return None
    sha = hashlib.sha256(page.text.encode() + fingerprint).hexdigest()
    committed = manifest.files().get(key)
    if committed and committed.sha == sha:
        report.skipped += 1
        return None
    try:
        articles = parse_page(page.text, source, page.meta or None)
    except FileRejected as exc:
        report.errors.append((source, exc.reason))
        return None
    numbered = [(a, chunker.chunk(a, key, sha)) for a in articles]
    ids = [(nodes[0].metadata["article_id"] if nodes else "", a, len(nodes)) for a, nodes in numbered]
    nodes = [n for _, ns in numbered for n in ns]
    if not nodes:
        report.errors.append((source, "skipped: no article text left after cleaning"))
        return None
    return _Parsed(key, str(root), source, sha, [t for t in ids if t[0]], nodes)


class _BatchWriter:
    """Embeds chunks in batches that span files, then writes and commits each file in order."""

    def __init__(self, manifest: Manifest, store: ChunkWriter, embedder: Embedder, report: IngestReport):
        self.manifest, self.store, self.embedder, self.report = manifest, store, embedder, report
        self.pending: list[_Parsed] = []

    def add(self, parsed: _Parsed) -> None:
        self.pending.append(parsed)
        if sum(len(p.nodes) for p in self.pending) >= EMBED_BATCH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        nodes = [n for p in self.pending for n in p.nodes]
        if not nodes:
            return
        vectors = self.embedder.get_text_embedding_batch([embed_text(n) for n in nodes])
        for node, vector in zip(nodes, vectors):
            node.embedding = vector
        for parsed in self.pending:
            self._write(parsed)
        self.pending = []

    def _write(self, p: _Parsed) -> None:
        """Write the new version beside the old, commit it, then delete the old one.

        The pending row stays until the old version is gone, so a kill at any point is swept up
        by the next run, and the committed version always has its chunks.
        """
        self.manifest.begin(p.path, p.sha)
        self.store.delete_version(p.path, p.sha)  # leftovers of a killed run of this same version
        self.store.add(p.nodes)
        record = FileRecord(p.path, p.root, p.source, p.sha, len(p.articles), len(p.nodes))
        self.manifest.commit(record, p.articles, keep_pending=True)
        self.store.delete_file(p.path, except_sha=p.sha)
        self.manifest.clear_pending(p.path)
        self.report.files += 1
        self.report.articles += len(p.articles)
        self.report.chunks += len(p.nodes)


def _sweep_interrupted(manifest: Manifest, store: ChunkWriter) -> None:
    """Finish what a killed run left: drop an uncommitted version, or the old one a commit replaced."""
    committed = manifest.committed_versions()
    for path, sha in manifest.pending().items():
        if path not in committed:
            store.delete_file(path)
        elif committed[path] == sha:
            store.delete_file(path, except_sha=sha)
        else:
            store.delete_version(path, sha)
        manifest.clear_pending(path)


def _remove_missing(root: Path, present: set[str], manifest: Manifest, store: ChunkWriter) -> int:
    gone = [path for path in manifest.files(str(root)) if path not in present]
    for path in gone:
        manifest.begin(path, "")
        store.delete_file(path)
        manifest.forget(path)
    return len(gone)


def _display_name(file: Path, root: Path) -> str:
    try:
        return str(file.absolute().relative_to(root))
    except ValueError:
        return file.name


def _progress(files: list[Path], enabled: bool | None) -> list[Path] | Iterator[Path]:
    if enabled is False or len(files) < 20:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="ingest", unit="file", disable=None if enabled is None else not enabled)
