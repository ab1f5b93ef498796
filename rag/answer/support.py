"""Does a cited passage support the sentence it hangs on? Checked for every answer sentence.

A sentence is supported by a set of passages when every number and every person's name in it
occurs in them, and its content words are mostly found there (or, for paraphrases, partly found
and close in meaning by MiniLM). Dates we resolved ourselves ("Tuesday (30 January 2024)") are
derived from the article date, so the annotation is left out of the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.core.datewords import MONTH_NAMES
from rag.core.protocols import Embedder
from rag.core.text import content_terms, numbers, split_sentences
from rag.language.entities import person_names

_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_ONE_MARKER = re.compile(r"\[(\d+)\]")
_ATTRIBUTION = re.compile(r" \(reported by [^)]*\)")
RESOLVED_DATE = re.compile(rf" \((?:\d{{1,2}} )?(?:{MONTH_NAMES})(?: \d{{4}})?\)")


@dataclass(frozen=True)
class SupportConfig:
    min_overlap: float = 0.6  # share of the sentence's content words found in the passages
    paraphrase_overlap: float = 0.3  # lower overlap is accepted when meaning is close...
    paraphrase_cosine: float = 0.6  # ...by at least this cosine


def claim_text(sentence: str) -> str:
    """The sentence as claimed: without citation markers or our own date annotations."""
    without = RESOLVED_DATE.sub("", _MARKERS.sub("", sentence))
    return _ATTRIBUTION.sub("", without).removeprefix("Sources differ:").strip()


def lexically_supported(claim: str, evidence: str, cfg: SupportConfig) -> tuple[bool, float]:
    """(numbers and names all present, content-word overlap)."""
    if numbers(claim) - numbers(evidence):
        return False, 0.0
    evidence_lower = evidence.lower()
    for name in person_names(claim):
        if name.split()[-1].lower() not in evidence_lower:
            return False, 0.0
    terms = content_terms(claim)
    if not terms:
        return True, 1.0
    return True, len(terms & content_terms(evidence)) / len(terms)


def supports(claim: str, evidence: list[str], embedder: Embedder | None, cfg: SupportConfig = SupportConfig()) -> bool:
    joined = " ".join(evidence)
    facts_ok, overlap = lexically_supported(claim, joined, cfg)
    if not facts_ok:
        return False
    if overlap >= cfg.min_overlap:
        return True
    if overlap < cfg.paraphrase_overlap or embedder is None:
        return False
    return best_sentence(claim, evidence, embedder)[1] >= cfg.paraphrase_cosine


def best_sentence(claim: str, evidence: list[str], embedder: Embedder) -> tuple[str, float]:
    """The evidence sentence closest in meaning to the claim, and its cosine."""
    sentences = [s for text in evidence for s in split_sentences(text)] or evidence
    vectors = np.asarray(embedder.get_text_embedding_batch([claim, *sentences]), dtype=np.float32)
    cosines = vectors[1:] @ vectors[0]
    best = int(np.argmax(cosines))
    return sentences[best], float(cosines[best])


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into sentences with the citation numbers each one carries.

    Markers are attached to the sentence they follow, even when the splitter puts them at the
    start of the next sentence.
    """
    pieces: list[tuple[str, list[int]]] = []
    for raw in split_sentences(text):
        leading = re.match(r"^((?:\s*\[\d+\])+)\s*", raw)
        if leading and pieces:
            sentence, cited = pieces[-1]
            pieces[-1] = (sentence + leading.group(1), cited + [int(n) for n in _ONE_MARKER.findall(leading.group(1))])
            raw = raw[leading.end():]
        if raw.strip():
            pieces.append((raw.strip(), [int(n) for n in _ONE_MARKER.findall(raw)]))
    return pieces
