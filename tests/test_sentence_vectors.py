"""Sentence vectors pooled at ingest: the cut, the pooling, the stored form, and the reader using them.

Real model, real Chroma on disk and the real manifest; the sample corpus is the input.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import ingest_path
from rag.api import Rag
from rag.core.settings import Settings
from rag.core.text import sentence_spans, split_sentences
from rag.embed.choose import onnx_embedder
from rag.embed.minilm import default_model_cache_dir
from rag.embed.onnx import OnnxMiniLMEmbedding, span_means
from rag.index.manifest import Manifest
from rag.index.sentence_vectors import pack, unpack
from rag.index.store import ChunkStore
from rag.read.extractive import clear_sentence_cache
from tests.conftest import SAMPLE_CORPUS


@pytest.fixture(scope="module")
def int8() -> OnnxMiniLMEmbedding:
    embedder = onnx_embedder(default_model_cache_dir(), quantized=True)
    assert isinstance(embedder, OnnxMiniLMEmbedding)
    return embedder


def test_spans_cut_each_paragraph_as_split_sentences_does() -> None:
    text = ("  The U.S. team met on Jan. 30 in Beijing. Talks lasted two days.\n\n"
            "Officials said more meetings would follow.  A date was not set.")
    spans = sentence_spans(text)
    expected = [s for paragraph in text.split("\n\n") for s in split_sentences(paragraph)]
    assert [text[a:b] for a, b in spans] == expected
    assert len(expected) == 4  # "U.S." and "Jan." do not end a sentence


def test_span_means_pool_only_the_tokens_that_start_inside_each_span() -> None:
    states = np.array([[9, 9], [1, 0], [3, 0], [0, 2], [9, 9]], dtype=np.float32)
    offsets = [(0, 0), (0, 3), (4, 6), (8, 10), (0, 0)]  # [CLS], three words, [SEP]
    pooled = span_means(states, offsets, [(0, 6), (8, 10), (20, 30)])
    np.testing.assert_allclose(pooled[0], [1, 0])  # mean (2, 0), normalised; [CLS] left out
    np.testing.assert_allclose(pooled[1], [0, 1])
    assert not pooled[2].any()  # a span past the truncated text has no tokens: a zero row


def test_pooled_sentence_is_nearest_its_own_meaning(int8: OnnxMiniLMEmbedding) -> None:
    first = "The central bank raised interest rates by half a point on Wednesday."
    second = "Heavy snow closed mountain roads and stranded hundreds of skiers."
    text = f"title: Week in review\ndate: 2024-01-05\n\n{first} {second}"
    start = text.index(first)
    spans = [(start, start + len(first)), (text.index(second), len(text))]
    chunk_vectors, parts = int8.embed_with_spans([text, first], [spans, []])
    np.testing.assert_allclose(chunk_vectors, int8.embed([text, first]), atol=1e-5)  # same vectors as `embed`
    alone = int8.embed([first, second])
    similarity = parts[0] @ alone.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]
    assert parts[1].shape == (0, 384)


def test_packed_rows_keep_their_direction_and_spans() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[3] = 0.0  # a sentence the model did not see
    spans = [(0, 10), (11, 40), (42, 80), (81, 90), (91, 120)]
    back = unpack(*pack(spans, vectors))
    assert back.spans.tolist() == [list(s) for s in spans]
    cosines = (back.vectors * vectors).sum(axis=1)
    assert cosines[[0, 1, 2, 4]].min() > 0.999
    assert not back.vectors[3].any()


def _sentence_rows(settings: Settings) -> dict[str, str]:
    """chunk_id -> path of every stored sentence row."""
    with sqlite3.connect(settings.manifest_path) as db:
        return dict(db.execute("SELECT chunk_id, path FROM sentences").fetchall())


def test_ingest_stores_each_chunks_sentences_and_keeps_them_in_step(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    settings = Settings(index_dir=tmp_path / "idx", embedder="onnx-int8")
    ingest_path(folder, settings, progress=False)
    chunks = ChunkStore(settings).all_chunks()
    stored = Manifest(settings.manifest_path).sentences([c.chunk_id for c in chunks])
    assert set(stored) == {c.chunk_id for c in chunks if sentence_spans(c.text)}
    embedder = onnx_embedder(default_model_cache_dir(), quantized=True)
    nearest_own = []
    for chunk in chunks:
        kept = stored.get(chunk.chunk_id)
        if kept is None or len(kept.spans) < 2:
            continue
        assert [tuple(s) for s in kept.spans.tolist()] == sentence_spans(chunk.text)
        alone = embedder.embed([chunk.text[a:b] for a, b in kept.spans])
        nearest_own += list(np.argmax(kept.vectors @ alone.T, axis=1) == np.arange(len(alone)))
    # Pooled in context, a row is mostly closest to its own sentence embedded alone: 0.88 on this
    # corpus, against 0.64 with spans 30 characters off and 0.29 for the whole chunk's vector.
    assert len(nearest_own) > 100 and np.mean(nearest_own) >= 0.8, np.mean(nearest_own)

    changed = folder / "china-us-talks-tackle-fentanyl-crisis-rewrite.txt"
    changed.write_text(changed.read_text() + "\n\nOfficials agreed to meet again in the spring of 2024.\n")
    (folder / "foxnews-us-china-fentanyl-talks-2024-01-30.txt").unlink()
    ingest_path(folder, settings, progress=False)
    rows = _sentence_rows(settings)
    current = {c.chunk_id for c in ChunkStore(settings).all_chunks()}
    assert set(rows) <= current  # no rows of replaced or removed versions are left behind
    assert not any("foxnews" in path for path in rows.values())
    assert any(path == str(changed.absolute()) for path in rows.values())


def test_the_reader_embeds_only_the_question(sample_rag: Rag) -> None:
    embedder = sample_rag.embedder
    sample_rag.ask("Who led the U.S. delegation?")  # warm: model loaded
    before = embedder.stats.texts
    answer = sample_rag.ask("How many days did the first meeting of the working group last?")
    assert not answer.abstained and answer.citations
    assert embedder.stats.texts - before == 1


def test_an_index_without_sentence_rows_still_answers(sample_index: Path, tmp_path: Path) -> None:
    """Indexes written before sentence rows (or by the torch embedder) are read by embedding."""
    copy = tmp_path / "idx"
    shutil.copytree(sample_index, copy)
    with sqlite3.connect(Settings(index_dir=copy).manifest_path) as db:
        db.execute("DELETE FROM sentences")
    rag = Rag(Settings(index_dir=copy))
    rag.ask("Who led the U.S. delegation?")
    clear_sentence_cache()  # vectors of these sentences from earlier tests would hide the embedding
    before = rag.embedder.stats.texts
    answer = rag.ask("How many days did the first meeting of the working group last?")
    assert not answer.abstained and answer.citations
    assert rag.embedder.stats.texts - before > 1
