"""BM25 over the committed chunks: tokens made once at ingest, an index saved to disk and memory-mapped.

Tokens are bm25s's (lower case, English stemming, numbers and years kept as exact tokens), made
once per chunk at ingest and kept in the manifest. The index itself is built here, not by
`bm25s.BM25.index`, because that needs every chunk's tokens as Python lists at once (hundreds of
MB at 100k chunks) and cannot be appended to; here the build reads the manifest's token rows
twice, a batch at a time, and writes each posting into its place in numpy arrays. The scores
are bm25s's default ("lucene" BM25, k1 1.5, b 0.75; `tests/test_keyword_files.py` compares
them), so the ranking is the one bm25s would give.

On disk an index is three numpy arrays in term-major order (for each term, the chunks holding it
and their weights) plus the vocabulary; `load` memory-maps the arrays, so a fresh process pays
only for the pages a query touches.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
K1, B = 1.5, 0.75
ARRAYS = ("indptr", "docs", "weights")
_ROWS_PER_BATCH = 4096  # rows turned into postings by one numpy sort
_TERMS_PER_STEP = 65536  # terms whose weights are computed by one numpy step


def normalise(text: str) -> str:
    """'100,000' and '100000' must match, and so must curly and straight apostrophes."""
    return _THOUSANDS.sub("", text).replace("’", "'")


def keyword_text(title: str, text: str) -> str:
    """What BM25 sees of a chunk: its article's title, then its text."""
    return f"{title}\n{text}"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """bm25s's tokens (stemmed strings) for each text; an empty text gives []."""
    if not texts:
        return []
    import bm25s

    return bm25s.tokenize([normalise(t) for t in texts], stemmer=_stemmer(), return_ids=False, show_progress=False)


class KeywordIndex:
    """Lucene BM25 over token rows; `search` returns (row position, score) best first."""

    def __init__(self, vocab: dict[str, int], indptr: np.ndarray, docs: np.ndarray, weights: np.ndarray,
                 size: int) -> None:
        self.vocab, self.indptr, self.docs, self.weights, self.size = vocab, indptr, docs, weights, size

    @classmethod
    def build(cls, rows: Iterable[list[str]]) -> KeywordIndex:
        """Index token rows (one per chunk, in position order), reading them twice.

        The first pass makes the vocabulary and counts each term's chunks; the second writes every
        (term, chunk) posting straight into its place in the term-major arrays. So memory holds the
        finished arrays and the vocabulary, never the rows: at 200k chunks, building from a list of
        every row's tokens peaked at 1.2 GB (docs/perf/README.md).
        """
        if iter(rows) is rows:
            raise TypeError("KeywordIndex.build reads its rows twice: pass a list or a re-iterable, not an iterator")
        vocab: dict[str, int] = {}
        df = np.zeros(0, np.int64)
        lengths: list[int] = []
        for batch in _batches(rows):
            terms, _, _ = _postings([[vocab.setdefault(t, len(vocab)) for t in tokens] for tokens in batch])
            if len(vocab) > len(df):
                df = np.concatenate([df, np.zeros(max(len(vocab) - len(df), len(df)), np.int64)])
            df += np.bincount(terms, minlength=len(df))
            lengths += map(len, batch)
        size, df = len(lengths), df[:len(vocab)]
        if not vocab:
            return cls(vocab, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), size)
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        docs = np.empty(int(indptr[-1]), np.int32)
        weights = np.empty(int(indptr[-1]), np.float32)  # holds each posting's term frequency until the end
        filled = indptr[:-1].copy()  # where each term's next posting goes
        first = 0
        for batch in _batches(rows):
            try:
                terms, chunks, tf = _postings([[vocab[t] for t in tokens] for tokens in batch])
            except KeyError as exc:
                raise RuntimeError("the token rows changed between the two passes of a keyword build") from exc
            # postings come sorted by term, then chunk: each one's rank among its term's postings in
            # this batch, added to where that term's postings continue, is its place
            starts = np.flatnonzero(np.concatenate(([True], terms[1:] != terms[:-1])))
            counts = np.diff(np.append(starts, len(terms)))
            places = filled[terms] + np.arange(len(terms)) - np.repeat(starts, counts)
            docs[places], weights[places] = chunks + first, tf
            filled[terms[starts]] += counts
            first += len(batch)
        if first != size or not np.array_equal(filled, indptr[1:]):
            raise RuntimeError("the token rows changed between the two passes of a keyword build")
        idf = np.log1p((size - df + 0.5) / (df + 0.5)).astype(np.float32)
        doc_len = np.asarray(lengths, dtype=np.float32)
        norm = K1 * (1 - B + B * doc_len / max(float(doc_len.mean()), 1e-9))
        for first_term in range(0, len(vocab), _TERMS_PER_STEP):  # weights in place, a slice of terms at a time
            span = slice(first_term, min(first_term + _TERMS_PER_STEP, len(vocab)))
            lo, hi = int(indptr[span.start]), int(indptr[span.stop])
            tf = weights[lo:hi]
            weights[lo:hi] = np.repeat(idf[span], df[span]) * tf / (tf + norm[docs[lo:hi]])
        return cls(vocab, indptr, docs, weights, size)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "vocab.json").write_text(json.dumps({"size": self.size, "terms": terms}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Memory-mapped arrays; only the vocabulary is read into memory."""
        saved = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        indptr, docs, weights = (np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS)
        return cls({t: i for i, t in enumerate(saved["terms"])}, indptr, docs, weights, int(saved["size"]))

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk position, score) best first; `allowed` is a 0/1 (or boolean) mask over positions."""
        if not self.size or k <= 0:
            return []
        terms = [self.vocab[t] for t in tokenize([query])[0] if t in self.vocab]
        if not terms:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        for term in terms:  # a repeated query term counts again, as in bm25s
            start, end = int(self.indptr[term]), int(self.indptr[term + 1])
            scores[self.docs[start:end]] += self.weights[start:end]
        if allowed is not None:
            scores *= allowed.astype(np.float32, copy=False)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(d), float(scores[d])) for d in top if scores[d] > 0]


def _batches(rows: Iterable[list[str]]) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for tokens in rows:
        batch.append(tokens)
        if len(batch) == _ROWS_PER_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _postings(term_rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term, row, term frequency) of each distinct term of each row, sorted by term, then row."""
    lengths = np.fromiter(map(len, term_rows), np.int64, len(term_rows))
    keys = np.fromiter(itertools.chain.from_iterable(term_rows), np.int64, int(lengths.sum()))
    keys *= len(term_rows)
    keys += np.repeat(np.arange(len(term_rows), dtype=np.int64), lengths)
    keys.sort()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    tf = np.diff(np.append(starts, len(keys))).astype(np.float32)
    keys = keys[starts]
    return keys // len(term_rows), (keys % len(term_rows)).astype(np.int32), tf
