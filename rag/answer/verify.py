"""Check what a model wrote against the passages it cites, before the reader sees it.

Works on the model's own numbering (passage positions in the prompt): a sentence its citations
do not support is re-cited to a retrieved passage that does, or removed; a sentence with no
marker gets one if some passage supports it. The caller renumbers afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from rag.answer.support import SupportConfig, answer_sentences, claim_text, supports
from rag.core.protocols import Embedder
from rag.core.text import content_terms, numbers, spelled_in, split_sentences, squashed
from rag.core.types import Citation, Passage
from rag.evidence.refusal import says_not_covered
from rag.generate.messages import Choice
from rag.language.entities import PERSON, entities, entities_of, person_names
from rag.query.answer_type import wanted_labels
from rag.query.profile import QuestionProfile
from rag.read.extractive import Candidate

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


def ground_choice(choice: Choice, listed: list[Candidate], question: str, most: int = 3) -> tuple[list[Candidate], str]:
    """The sentences a model chose (`listed` as numbered in its prompt) and its short answer,
    kept only where a sentence states it.

    A chosen sentence that does not state the short answer gives way to a listed one that does
    (the answer is re-cited, not deleted); a short answer no listed sentence states is dropped and
    the chosen sentences stand alone. A reply that names no sentence but restates some
    (`restated`) chose those. Returns no sentences when none is usable.
    """
    chosen = [listed[n - 1] for n in choice.numbers if 1 <= n <= len(listed)][:most]
    if not chosen and not choice.short:
        chosen = restated(choice.said, question, listed)
    short = choice.short
    if not short or says_not_covered(short):
        return chosen, short
    if any(states(c, short) for c in chosen):
        return [c for c in chosen if states(c, short)], in_full(short, listed)
    stating = next((c for c in listed if states(c, short)), None)
    if stating is not None:
        return [stating], in_full(short, listed)
    return chosen, ""


def restated(said: str, question: str, listed: list[Candidate], most: int = 2) -> list[Candidate]:
    """The listed sentences a reply retells, in listed order. Asked "why" or "what did she say", a small
    model ignores the two-line format and writes the answer out as a sentence, usually one of the
    listed ones copied or lightly reworded; those replies were refused for naming no sentence.
    What the reply adds to the question (its content words the question lacks) must come from
    the sentences: each taken holds at least two of those words and a third of them, so a reply
    that only restates the question, or says something no sentence says, chooses nothing."""
    new = content_terms(said) - content_terms(question)
    left = set(new)
    terms = [content_terms(c.sentence) for c in listed]
    taken: list[int] = []
    while left and len(taken) < min(most, len(listed)):
        best = max((i for i in range(len(listed)) if i not in taken), key=lambda i: len(left & terms[i]))
        if len(left & terms[best]) < max(2, len(new) / 3):
            break
        taken.append(best)
        left -= terms[best]
    return [listed[i] for i in sorted(taken)]


def count_as_asked(short: str, chosen: list[Candidate], q: QuestionProfile) -> str:
    """A "how many" question's short answer, unless the chosen sentences show it is a figure of
    another kind than the one asked for: a model reading "Nearly 70 percent of the reported 107,081
    deaths" answers "How many died?" with "70 percent", which the sentence's named entities mark as
    a share, not a count. Then the count the reader found in the chosen sentence takes its place,
    or the sentences stand without a short answer. A figure the entities do not mark stays: only
    positive evidence of the wrong kind overrules the model. Only "how many" is checked: its answer
    type is fixed by the question's words, where "who" is often rightly answered by an organisation."""
    if q.kind != "how_many" or not short or says_not_covered(short):
        return short
    key, figures, wanted = squashed(short), numbers(short), wanted_labels(q)
    # a figure is matched as numbers: "70" spelled inside "107,081" is not that count
    marked = [e for found in entities_of([c.sentence for c in chosen]) for e in found
              if (figures <= numbers(e.text) if figures else key in squashed(e.text))]
    if not marked or any(e.label in wanted for e in marked):
        return short
    return next((c.span.text for c in chosen if c.span), "")


def in_full(short: str, listed: list[Candidate]) -> str:
    """A lone surname as the full name the listed sentences give it ("James" -> "LeBron James"):
    news names a person in full once and by surname after, and a model copies the later form.
    The most frequent full name ending with it wins; anything else stays as written."""
    if len(short.split()) != 1 or not short[:1].isupper():
        return short
    text = " ".join(f"{c.passage.title}. {c.context} {c.sentence}" for c in listed)
    if short.lower() in {e.text.lower() for e in entities(text) if e.label != PERSON}:
        return short  # it stands alone as a place or an organisation ("Nevada"), not as someone's surname
    full = Counter(name for name in person_names(text) if name.split()[-1].lower() == short.lower())
    return full.most_common(1)[0][0] if full else short


def states(cand: Candidate, short: str) -> bool:
    """Does the sentence (with the one before it and its article's title) state `short`? Its
    letters and digits in order, or, for a longer answer, all its content words and numbers."""
    around = f"{cand.passage.title} {cand.context} {cand.sentence}"
    if spelled_in(short, around):
        return True
    terms = content_terms(short)
    return len(terms) >= 2 and terms <= content_terms(around) and numbers(short) <= numbers(around)

