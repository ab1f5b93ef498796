"""Near-duplicate detection for passages and sentences (wire stories reprinted by several outlets)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")


def shingles(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def covered(part: frozenset, whole: frozenset) -> float:
    """Share of `part`'s word trigrams found in `whole`. Unlike `containment`, a short line lifted
    from a long sentence does not cover it: what a citation quotes must hold the sentence it backs."""
    return len(part & whole) / len(part) if part and whole else 0.0


def containment(a: frozenset, b: frozenset) -> float:
    """Share of the smaller text's word trigrams found in the other: 1.0 for a reprint."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
