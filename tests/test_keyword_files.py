"""The persisted keyword index: built at ingest, saved beside the manifest, loaded without Chroma.

Real ingest, real embedder, real on-disk Chroma. What is checked: the BM25 scores are bm25s's;
the saved index survives a restart (a new process loads it, builds nothing, pulls nothing); it
follows an incremental ingest and a removal and then equals a from-scratch build; an index made
before keyword rows existed gets them on first open; retrieval reads texts for its hits only.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest
import Stemmer

from ingest.pipeline import ingest_path
from rag.core.settings import Settings
from rag.index import keyword
from rag.index.committed import LocalIndex
from rag.index.keyword import KeywordIndex, keyword_text, normalise, tokenize
from rag.index.keyword_files import article_starts, article_tokens, keyword_root, open_snapshot
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore
from rag.retrieval.hybrid import HybridRetriever
from tests.conftest import SAMPLE_CORPUS
from tests.index_checks import CountingStore, generated_article

QUERIES = ("delegation to Beijing fentanyl", "harbor committee report", "railway budget day 3", "quokka census")



@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    import random

    rng = random.Random(3)
    for number in range(30):
        (folder / f"town-{number:04d}.txt").write_text(generated_article(number, rng))
    return folder


def _searches(snapshot: Any) -> dict[str, list[tuple[str, float]]]:
    return {q: [(str(snapshot.chunk_ids[p]), round(s, 4)) for p, s in snapshot.keyword.search(q, 10)]
            for q in QUERIES}


def _retriever(store: CountingStore, settings: Settings, sample_rag: Any) -> HybridRetriever:
    """A retriever of a new process: its own manifest connection, reading through `store`."""
    return HybridRetriever(store, LocalIndex(Manifest(settings.manifest_path), store), sample_rag.embedder)


def _snapshot(settings: Settings) -> Any:
    manifest = Manifest(settings.manifest_path)
    try:
        return open_snapshot(manifest)
    finally:
        manifest.close()


@pytest.mark.parametrize("rows_per_batch, terms_per_step", [(4096, 65536), (2, 3), (1, 1)])
def test_scores_are_bm25s_scores(monkeypatch: pytest.MonkeyPatch, rows_per_batch: int, terms_per_step: int) -> None:
    """Whatever the batch of rows or the slice of terms the build works in, the scores are bm25s's."""
    monkeypatch.setattr(keyword, "_ROWS_PER_BATCH", rows_per_batch)
    monkeypatch.setattr(keyword, "_TERMS_PER_STEP", terms_per_step)
    texts = [normalise(t) for t in (
        "The council approved the harbor budget on Monday.",
        "Harbor pilots and the harbor master met the council.",
        "A budget of 100,000 dollars for the railway in 2024.",
        "Railway workers struck for a day; the council said nothing.",
        "Nothing about any of it here.",
    )]
    ours = KeywordIndex.build(tokenize(texts))
    reference = bm25s.BM25()
    reference.index(bm25s.tokenize(texts, stemmer=Stemmer.Stemmer("english"), show_progress=False),
                    show_progress=False)
    for query in ("harbor council", "railway budget 2024", "harbor harbor"):
        tokens = [t for t in tokenize([query])[0] if t in reference.vocab_dict]
        docs, scores = reference.retrieve([tokens], k=len(texts), show_progress=False)
        expected = {int(d): float(s) for d, s in zip(docs[0], scores[0]) if s > 0}
        got = dict(ours.search(query, len(texts)))
        assert got.keys() == expected.keys(), query
        assert np.allclose([got[d] for d in expected], list(expected.values()), rtol=1e-5), query


def test_a_build_refuses_rows_it_could_read_only_once() -> None:
    with pytest.raises(TypeError, match="twice"):
        KeywordIndex.build(iter([["harbor"], ["council"]]))


def test_saved_index_survives_restart_follows_ingest_and_removal(tmp_path: Path, corpus: Path, sample_rag,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    ingest_path(corpus, settings, embedder=sample_rag.embedder, progress=False)
    generation = Manifest(settings.manifest_path).generation()
    assert (keyword_root(Manifest(settings.manifest_path)) / f"gen-{generation}").is_dir()

    builds: list[int] = []
    real_build = KeywordIndex.build.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(KeywordIndex, "build", classmethod(lambda cls, rows: builds.append(1) or real_build(cls, rows)))
    store = CountingStore(settings)
    restarted = _retriever(store, settings, sample_rag)
    assert restarted.retrieve(QUERIES[0], k=5)
    assert builds == [] and store.all_chunk_calls == 0  # loaded from disk, nothing pulled from Chroma

    (corpus / "quokka.txt").write_text("Quokka census on Rottnest\n\nRangers counted 12,400 quokkas on "
                                       "Rottnest Island this spring, the island authority said on Monday.\n")
    (corpus / "town-0003.txt").unlink()
    report = ingest_path(corpus, settings, embedder=sample_rag.embedder, progress=False)
    assert (report.files, report.removed) == (1, 1)
    snap = _snapshot(settings)
    assert builds == [1, 1]  # ingest built the generation's two indexes (chunks, articles); reading built none
    ids = set(snap.chunk_ids.tolist())
    stored = ChunkStore(settings).all_chunks()
    assert ids == {c.chunk_id for c in stored}
    assert not any("town-0003" in str(c.meta["path"]) for c in stored)
    top = snap.keyword.search("quokka census", 1)
    assert ChunkStore(settings).get([str(snap.chunk_ids[top[0][0]])])[0].meta["source"] == "quokka.txt"
    passages = restarted.retrieve("How many quokkas did rangers count on Rottnest?", k=3)
    assert passages[0].source == "quokka.txt" and passages[0].dense_rank is not None

    scratch = Settings(index_dir=tmp_path / "scratch")
    ingest_path(corpus, scratch, embedder=sample_rag.embedder, progress=False)
    fresh = _snapshot(scratch)
    assert fresh.chunk_ids.tolist() == snap.chunk_ids.tolist()
    assert _searches(fresh) == _searches(snap)
    for name in snap.fields:
        assert fresh.fields[name].tolist() == snap.fields[name].tolist(), name


def test_an_index_without_keyword_rows_gets_them_on_first_open(tmp_path: Path, corpus: Path, sample_rag) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    ingest_path(corpus, settings, embedder=sample_rag.embedder, progress=False)
    before = _searches(_snapshot(settings))
    db = sqlite3.connect(settings.manifest_path)  # as an index built before the keyword rows existed
    with db:
        db.execute("DROP TABLE chunks")
    db.close()
    shutil.rmtree(settings.index_dir / "keyword")

    store = CountingStore(settings)
    retriever = _retriever(store, settings, sample_rag)
    assert retriever.retrieve(QUERIES[0], k=5)
    assert store.all_chunk_calls >= 1  # the one-time backfill reads the old chunks from Chroma
    assert _searches(_snapshot(settings)) == before
    calls = store.all_chunk_calls
    _retriever(store, settings, sample_rag).retrieve(QUERIES[1], k=5)
    assert store.all_chunk_calls == calls  # once only


def test_retrieval_reads_texts_of_its_hits_only(tmp_path: Path, corpus: Path, sample_rag) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    ingest_path(corpus, settings, embedder=sample_rag.embedder, progress=False)
    total = ChunkStore(settings).count()
    store = CountingStore(settings)
    retriever = _retriever(store, settings, sample_rag)
    candidates = retriever.config.candidates
    for question in QUERIES:
        store.fetched_ids, store.queried = [], 0
        passages = retriever.retrieve(question, k=5)
        assert passages
        assert store.queried <= 2 * candidates
        assert len(store.fetched_ids) <= candidates  # keyword-only hits; dense hits came with their text
        assert store.queried + len(store.fetched_ids) < total
    article = passages[0].article_id
    store.fetched_ids = []
    chunks = retriever.article_chunks(article)
    assert chunks and {c.meta["article_id"] for c in chunks} == {article}
    assert len(store.fetched_ids) == len(chunks)
    assert [c.meta["position"] for c in chunks] == sorted(c.meta["position"] for c in chunks)
    other = next(p.article_id for p in passages if p.article_id != article)
    store.get_calls = 0
    both = retriever.articles_chunks([other, article, "no-such-article"], limit=3)
    assert store.get_calls == 1, "several articles' chunks come in one store read"
    assert both == [retriever.article_chunks(other)[:3], chunks[:3], []]
    assert store.all_chunk_calls == 0


def test_article_rows_join_an_articles_chunks_with_its_title_once() -> None:
    rows = [["harbor", "budget", "council", "vote"], ["harbor", "budget", "rail", "strike"], ["quokka", "census"]]
    starts = article_starts(np.array(["a", "a", "b"]))
    assert starts.tolist() == [0, 2]
    assert [article_tokens(rows[a:b]) for a, b in [(0, 2), (2, 3)]] == [
        ["harbor", "budget", "council", "vote", "rail", "strike"], ["quokka", "census"]]


def test_whole_article_index_is_saved_in_article_order(tmp_path: Path, corpus: Path, sample_rag) -> None:
    """The saved article BM25 scores each article as BM25 over its own chunks' texts would."""
    settings = Settings(index_dir=tmp_path / "index")
    ingest_path(corpus, settings, embedder=sample_rag.embedder, progress=False)
    snap = _snapshot(settings)
    stored = ChunkStore(settings).get([str(c) for c in snap.chunk_ids])
    spans = [snap.article_span(i) for i in range(len(snap.article_starts))]
    assert len(spans) == len({c.meta["article_id"] for c in stored}) > 30
    assert all(len({c.meta["article_id"] for c in stored[a:b]}) == 1 for a, b in spans)
    rows = tokenize([keyword_text(str(c.meta.get("title", "")), c.text) for c in stored])
    rebuilt = KeywordIndex.build([article_tokens(rows[a:b]) for a, b in spans])
    for query in QUERIES:
        assert snap.article_keyword.search(query, 10) == rebuilt.search(query, 10), query


def test_a_folder_of_an_older_layout_is_rebuilt_and_replaced(tmp_path: Path, corpus: Path, sample_rag) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    ingest_path(corpus, settings, embedder=sample_rag.embedder, progress=False)
    manifest = Manifest(settings.manifest_path)
    folder = keyword_root(manifest) / f"gen-{manifest.generation()}"
    shutil.rmtree(folder / "article-bm25")  # as the first layout wrote it: no whole-article index,
    (folder / "fields.json").write_text('["article_id", "outlet", "source", "date"]')  # fields as a list
    snap = _snapshot(settings)
    assert snap.article_keyword.search(QUERIES[0], 3)
    assert (folder / "article-bm25").is_dir() and '"layout"' in (folder / "fields.json").read_text()
    manifest.close()
