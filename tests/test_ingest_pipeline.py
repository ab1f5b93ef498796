"""Incremental, crash-safe ingest into a real on-disk Chroma with the real embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ingest.chunking import Chunker, embed_text, word_piece_counter
from ingest.errors import IngestError
from ingest.pipeline import ingest_path
from rag.core.settings import Settings
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from tests.conftest import SAMPLE_CORPUS


def _settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "idx")


def _chunk_ids_by_path(settings: Settings) -> dict[str, set[str]]:
    by_path: dict[str, set[str]] = {}
    for chunk in ChunkStore(settings).all_chunks():
        by_path.setdefault(chunk.meta["path"], set()).add(chunk.chunk_id)
    return by_path


def _assert_manifest_matches_store(settings: Settings) -> None:
    manifest = Manifest(settings.manifest_path)
    files = manifest.files()
    stored = _chunk_ids_by_path(settings)
    assert set(stored) == set(files)
    for path, record in files.items():
        assert len(stored[path]) == record.chunks, path
    assert not manifest.pending()


def test_reingest_skips_unchanged_replaces_changed_and_deletes_removed(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    settings = _settings(tmp_path)

    first = ingest_path(folder, settings, progress=False)
    assert (first.files, first.skipped, first.errors) == (5, 0, [])
    assert first.articles >= 8  # the aggregator page holds several stories
    assert 0 < first.write_seconds < first.seconds - first.embed_seconds  # the summary's split of the time
    ids_before = _chunk_ids_by_path(settings)

    again = ingest_path(folder, settings, progress=False)
    assert (again.files, again.skipped, again.chunks) == (0, 5, 0)
    assert again.write_seconds == 0.0
    assert _chunk_ids_by_path(settings) == ids_before  # stable ids, nothing rewritten

    changed = folder / "china-us-talks-tackle-fentanyl-crisis-rewrite.txt"
    changed.write_text(
        changed.read_text() + "\n\nOfficials agreed to meet again in the spring of 2024 in Washington.\n"
    )
    (folder / "foxnews-us-china-fentanyl-talks-2024-01-30.txt").unlink()
    third = ingest_path(folder, settings, progress=False)
    assert (third.files, third.skipped, third.removed) == (1, 3, 1)
    stored = _chunk_ids_by_path(settings)
    assert str(changed.absolute()) in stored
    assert stored[str(changed.absolute())] != ids_before[str(changed.absolute())]
    assert not any("foxnews" in path for path in stored)
    _assert_manifest_matches_store(settings)


def test_switching_embedder_re_embeds_every_file(tmp_path: Path) -> None:
    """Vectors from two embedders must never share an index: a switch re-ingests everything."""
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    int8 = Settings(index_dir=tmp_path / "idx", embedder="onnx-int8")
    assert ingest_path(folder, int8, progress=False).files == 5
    fp32 = Settings(index_dir=tmp_path / "idx", embedder="onnx")
    switched = ingest_path(folder, fp32, progress=False)
    assert (switched.files, switched.skipped) == (5, 0)
    assert ingest_path(folder, fp32, progress=False).skipped == 5
    _assert_manifest_matches_store(fp32)


def test_bad_files_are_named_and_the_rest_goes_in(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "latin1.txt").write_bytes(
        "Caf\xe9 news: the mayor resigned on Monday after a long dispute.".encode("latin-1")
    )
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    report = ingest_path(folder, _settings(tmp_path), progress=False)
    named = dict(report.errors)
    assert set(named) == {"empty.txt", "binary.txt", "notes.pdf"}
    assert all(reason for reason in named.values())
    assert report.files == 6  # the five sample files and the Latin-1 one


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file or folder"):
        ingest_path(tmp_path / "nope", _settings(tmp_path), progress=False)


def test_interrupted_write_is_swept_and_not_visible(tmp_path: Path) -> None:
    """Simulate a kill after chunks were written but before the manifest commit."""
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    settings = _settings(tmp_path)
    ingest_path(folder, settings, progress=False)
    target = folder / "china-us-talks-tackle-fentanyl-crisis-rewrite.txt"
    manifest = Manifest(settings.manifest_path)
    manifest.begin([(str(target.absolute()), "f" * 64)])  # a version that never committed
    from rag.api import Rag

    stray = Chunker().chunk(_one_article(), str(target.absolute()), "f" * 64)
    vectors = np.tile(np.array([0.0] * 383 + [1.0], np.float32), (len(stray), 1))
    ChunkStore(settings).add([n.node_id for n in stray], vectors, [n.text for n in stray], [n.metadata for n in stray])
    passages = Rag(settings).retrieve("spring meeting in Washington", k=10)
    assert all(p.chunk_id not in {n.node_id for n in stray} for p in passages)

    ingest_path(folder, settings, progress=False)
    _assert_manifest_matches_store(settings)


def test_a_failed_write_stops_the_ingest_and_the_next_run_completes_it(tmp_path: Path, monkeypatch) -> None:
    """A Chroma write that fails mid-run (here the second of several batches) stops the run with
    its own error and leaves nothing half-written that the next run cannot finish."""
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    settings = Settings(index_dir=tmp_path / "idx", ingest_batch_chunks=8)  # several batches
    real_add = ChunkStore.add
    calls: list[int] = []

    def add_failing_second(self, *args, **kwargs):
        calls.append(len(args[0]))
        if len(calls) == 2:
            raise OSError("disk full")
        return real_add(self, *args, **kwargs)

    monkeypatch.setattr(ChunkStore, "add", add_failing_second)
    with pytest.raises(OSError, match="disk full"):
        ingest_path(folder, settings, progress=False)
    assert len(calls) >= 2
    monkeypatch.undo()
    report = ingest_path(folder, settings, progress=False)
    assert report.errors == [] and report.files + report.skipped == 5
    _assert_manifest_matches_store(settings)


def _one_article():
    from ingest.article import Article

    return Article(title="Stray", source="x.txt", index=0, paragraphs=["A stray spring meeting in Washington."])


def test_chunks_fit_minilm_window_with_their_prefix() -> None:
    from ingest.parse import parse_file

    count = word_piece_counter()
    chunker = Chunker()
    for file in sorted(SAMPLE_CORPUS.iterdir()):
        for article in parse_file(file, file.name):
            for node in chunker.chunk(article, str(file), "sha"):
                assert len(count(embed_text(node))) <= 254, (file.name, node.text[:80])
