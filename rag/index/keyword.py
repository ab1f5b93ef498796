"""BM25 over the committed chunks, rebuilt in memory from Chroma whenever the manifest changes.

Chroma is the only store of chunk text, so the keyword index cannot drift from it; rebuilding is
fast (bm25s indexes ~100k short chunks in seconds) and happens once per index generation.
"""

from __future__ import annotations

import re

import numpy as np

_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")


def normalise(text: str) -> str:
    """'100,000' and '100000' must match, and so must curly and straight apostrophes."""
    return _THOUSANDS.sub("", text).replace("’", "'")


class KeywordIndex:
    """bm25s with English stemming and stopwords; numbers and years are kept as exact tokens."""

    def __init__(self, texts: list[str]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.size = len(texts)
        self._index = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize([normalise(t) for t in texts], stemmer=self._stemmer, show_progress=False)
            self._index.index(tokens, show_progress=False)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk position, score) best first; `allowed` is a 0/1 mask over chunk positions."""
        if not self.size or k <= 0:
            return []
        tokens = self._bm25s.tokenize(
            normalise(query), stemmer=self._stemmer, return_ids=False, show_progress=False
        )
        known = [[t for t in tokens[0] if t in self._index.vocab_dict]]
        if not known[0]:
            return []
        docs, scores = self._index.retrieve(
            known, k=min(k, self.size), show_progress=False, n_threads=1, weight_mask=allowed
        )
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
