"""Check each generated sentence against the passages it cites, before the reader sees it.

Works on the model's own numbering (passage positions in the prompt): a sentence its citations
do not support is re-cited to a retrieved passage that does, or removed; a sentence with no
marker gets one if some passage supports it. The caller renumbers afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rag.answer.support import SupportConfig, answer_sentences, claim_text, supports
from rag.core.protocols import Embedder
from rag.core.text import content_terms, split_sentences
from rag.core.types import Citation, Passage
from rag.evidence.refusal import says_not_covered

MIN_CLAIM_TERMS = 3


@dataclass
class Verified:
    text: str  # with prompt-numbered markers
    removed: list[str]  # sentences dropped as unsupported


def verify_generated(
    text: str, passages: list[Passage], embedder: Embedder, cfg: SupportConfig = SupportConfig()
) -> Verified:
    kept: list[str] = []
    removed: list[str] = []
    for sentence, cited in answer_sentences(text):
        claim = claim_text(sentence)
        if not claim or says_not_covered(claim):
            kept.append(sentence)
            continue
        valid = [n for n in cited if 1 <= n <= len(passages)]
        if valid and supports(claim, [passages[n - 1].text for n in valid], embedder, cfg):
            kept.append(sentence)
            continue
        backing = None
        if len(content_terms(claim)) >= MIN_CLAIM_TERMS:  # "HACKED" alone is no claim to source
            backing = next(
                (i for i, p in enumerate(passages, start=1) if supports(claim, [p.text], embedder, cfg)), None
            )
        if backing is None:
            removed.append(claim)
        else:
            kept.append(f"{claim} [{backing}]")
    return Verified(" ".join(kept), removed)


def narrow_quotes(citations: list[Citation], text: str) -> list[Citation]:
    """Quote the sentence of each cited passage that best matches what it is cited for."""
    claims: dict[int, str] = {}
    for sentence, cited in answer_sentences(text):
        for n in cited:
            claims.setdefault(n, claim_text(sentence))
    narrowed = []
    for c in citations:
        terms = content_terms(claims.get(c.number, ""))
        best = max(split_sentences(c.quote) or [c.quote], key=lambda s: len(terms & content_terms(s)))
        narrowed.append(replace(c, quote=best))
    return narrowed
