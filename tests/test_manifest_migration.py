"""An index built when the manifest was named `manifest.json` opens as is: renamed, not re-embedded."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.pipeline import ingest_path
from rag.api import Rag
from rag.core.settings import MANIFEST_FILE, Settings
from rag.index.manifest import LEGACY_MANIFEST_FILE, Commit, FileRecord, Manifest
from rag.index.store import TEXT_KEY, ChunkStore
from tests.conftest import SAMPLE_CORPUS


def test_old_index_is_renamed_and_nothing_is_reingested(sample_index: Path, sample_rag: Rag,
                                                         tmp_path: Path) -> None:
    index = tmp_path / "old-index"
    shutil.copytree(sample_index, index)
    for suffix in ("", "-wal", "-shm"):  # the database and any SQLite sidecar files it has
        if (index / f"{MANIFEST_FILE}{suffix}").exists():
            (index / f"{MANIFEST_FILE}{suffix}").rename(index / f"{LEGACY_MANIFEST_FILE}{suffix}")
    settings = Settings(index_dir=index)
    assert settings.manifest_path == index / MANIFEST_FILE

    report = ingest_path(SAMPLE_CORPUS, settings, embedder=sample_rag.embedder, progress=False)

    assert (report.files, report.chunks, report.skipped, report.errors) == (0, 0, 5, [])
    assert not (index / LEGACY_MANIFEST_FILE).exists()
    assert (index / MANIFEST_FILE).exists()
    passages = Rag(settings, embedder=sample_rag.embedder).retrieve("delegation to Beijing", k=3)
    assert passages


def test_an_existing_new_manifest_wins_over_a_stale_old_one(tmp_path: Path) -> None:
    record = FileRecord("/a.txt", "/", "a.txt", "sha-new", 1, 2)
    new = Manifest(tmp_path / MANIFEST_FILE)
    new.commit([Commit(record, [])])
    new.close()
    (tmp_path / LEGACY_MANIFEST_FILE).write_bytes(b"stale")

    reopened = Manifest(tmp_path / MANIFEST_FILE)

    assert reopened.committed_versions() == {"/a.txt": "sha-new"}
    assert (tmp_path / LEGACY_MANIFEST_FILE).read_bytes() == b"stale"
    reopened.close()


def test_chunk_text_is_kept_out_of_chromas_document_index(sample_index: Path) -> None:
    """Chroma would build a full-text index over documents we never search; the text is metadata."""
    store = ChunkStore(Settings(index_dir=sample_index))
    page = store.collection.get(limit=20, include=["documents", "metadatas"])
    assert page["ids"]
    assert all(doc is None for doc in page["documents"] or [])
    assert all((meta or {}).get(TEXT_KEY) for meta in page["metadatas"] or [])
    read = store.get(page["ids"])
    assert [c.text for c in read] == [(m or {})[TEXT_KEY] for m in page["metadatas"] or []]
    assert all(TEXT_KEY not in c.meta for c in read)


def test_an_index_with_text_in_chromas_documents_still_reads(sample_index: Path, sample_rag: Rag,
                                                              tmp_path: Path) -> None:
    """Indexes written before the text moved into metadata hold it as the document: no re-ingest."""
    index = tmp_path / "documents-index"
    shutil.copytree(sample_index, index)
    settings = Settings(index_dir=index)
    collection = ChunkStore(settings).collection
    page = collection.get(include=["embeddings", "metadatas"])
    metas = [dict(m or {}) for m in page["metadatas"] or []]
    texts = [m.pop(TEXT_KEY) for m in metas]
    collection.delete(ids=page["ids"])
    collection.add(ids=page["ids"], embeddings=page["embeddings"], documents=texts, metadatas=metas)

    read = ChunkStore(settings).get(page["ids"][:5])
    assert [c.text for c in read] == texts[:5]
    rag = Rag(settings, embedder=sample_rag.embedder)
    passages = rag.retrieve("delegation to Beijing", k=3)
    assert passages and all(p.text for p in passages)
