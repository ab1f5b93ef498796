"""BM25 over the committed chunks: tokens made once at ingest, an index saved to disk and memory-mapped.

Tokens are bm25s's (lower case, English stemming, numbers and years kept as exact tokens), made
once per chunk at ingest and kept in the manifest. The index itself is built here, not by
`bm25s.BM25.index`, because that needs every chunk's tokens as Python lists at once (hundreds of
MB at 100k chunks) and cannot be appended to; here the build streams the manifest's token rows
into numpy arrays and sorts them once. The scores are bm25s's default ("lucene" BM25, k1 1.5,
b 0.75; `tests/test_keyword_files.py` compares them), so the ranking is the one bm25s would give.

On disk an index is three numpy arrays in term-major order (for each term, the chunks holding it
and their weights) plus the vocabulary; `load` memory-maps the arrays, so a fresh process pays
only for the pages a query touches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
K1, B = 1.5, 0.75
ARRAYS = ("indptr", "docs", "weights")


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
        """Index token rows (one per chunk, in position order) in one pass and one sort."""
        vocab: dict[str, int] = {}
        term_parts: list[np.ndarray] = []
        lengths: list[int] = []
        for tokens in rows:
            term_parts.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), np.int32, len(tokens)))
            lengths.append(len(tokens))
        size = len(lengths)
        doc_len = np.asarray(lengths, dtype=np.float32)
        if not vocab:
            return cls(vocab, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), size)
        keys = np.concatenate(term_parts).astype(np.int64)  # term * size + chunk: sorts by term, then chunk
        del term_parts
        keys *= size
        keys += np.repeat(np.arange(size, dtype=np.int64), lengths)
        keys.sort()  # in place: no second copy of the largest array
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        tf = np.diff(np.append(starts, len(keys))).astype(np.float32)
        keys = keys[starts]
        term, docs = keys // size, (keys % size).astype(np.int32)
        del keys
        df = np.bincount(term, minlength=len(vocab))
        idf = np.log1p((size - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = K1 * (1 - B + B * doc_len / max(float(doc_len.mean()), 1e-9))
        weights = (idf[term] * tf / (tf + norm[docs])).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
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
