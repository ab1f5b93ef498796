"""Scoring functions for the eval harness: pure, typed, and independent of how `rag` works.

Why a module of its own: a report is only as trustworthy as the arithmetic behind it, so every
number is computed here from plain values (an `Answer`, a list of `Passage`s, a gold item) and the
functions are unit-tested on hand-made cases. The "support" test behind the citation metrics is a
deliberately simple lexical check made on the eval side, so the system never grades its own
citations. Rates whose denominator is empty are `None` ("not measured"), never 0 or 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rag.core.datewords import MONTHS

# --- text normalisation and key facts -----------------------------------------------------------

_CHAR_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2026": "...",
})
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u2009](?=\d{3}(?!\d))")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case; straight quotes, ASCII dashes, single spaces; `100,000` becomes `100000`."""
    text = _THOUSANDS.sub("", text)
    return _SPACE.sub(" ", text.translate(_CHAR_MAP)).strip().lower()


def alternatives(fact: str) -> list[str]:
    """The normalised spellings of a key fact; `"100,000|107,081"` has two."""
    return [alt for alt in (normalize(a) for a in fact.split("|")) if alt]


def _alt_pattern(alt: str) -> re.Pattern[str]:
    # Facts start at a word boundary; a fact ending in a digit must not run on into more digits
    # ("50" is not found in "150" or "50.5"), while "sanction" still finds "sanctions".
    tail = r"(?![0-9])(?!\.[0-9])" if alt[-1].isdigit() else ""
    return re.compile(r"(?<![0-9a-z])(?<![0-9]\.)" + re.escape(alt) + tail)


def found_alternatives(fact: str, text: str) -> list[str]:
    """The spellings of `fact` that occur in `text` (both normalised)."""
    norm = normalize(text)
    return [alt for alt in alternatives(fact) if _alt_pattern(alt).search(norm)]


def squashed_found(fact: str, text: str) -> bool:
    """The lenient reading: some spelling of `fact`, lower-cased with everything but letters and
    digits dropped, is inside `text` read the same way ("JP Morgan Chase" finds "JPMorgan Chase")."""
    squashed = _squash(text)
    return any(_squash(alt) and _squash(alt) in squashed for alt in fact.split("|"))


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def fact_found(fact: str, text: str) -> bool:
    return bool(found_alternatives(fact, text))


def key_fact_recall(key_facts: Sequence[str], answer_text: str, abstained: bool) -> float | None:
    """Share of key facts the answer states; an abstention states none. `None` without facts."""
    if not key_facts:
        return None
    if abstained:
        return 0.0
    return sum(fact_found(f, answer_text) for f in key_facts) / len(key_facts)


# --- retrieval ------------------------------------------------------------------------------------


class _Located(Protocol):
    source: str
    title: str


class _Retrieved(_Located, Protocol):
    duplicates: Sequence[_Located]


def ref_matches(ref: _Located, supporting: Mapping[str, Any]) -> bool:
    """Same file, and the title holds `title_contains` when the gold item gives one."""
    if ref.source != supporting["source"]:
        return False
    wanted = supporting.get("title_contains") or ""
    return not wanted or normalize(wanted) in normalize(ref.title)


def passage_matches(passage: _Retrieved, supporting: Sequence[Mapping[str, Any]]) -> bool:
    """A passage hits when it, or one of its near-duplicate copies, is a supporting article."""
    refs: list[_Located] = [passage, *passage.duplicates]
    return any(ref_matches(ref, s) for ref in refs for s in supporting)


def first_hit_rank(passages: Sequence[_Retrieved], supporting: Sequence[Mapping[str, Any]]) -> int | None:
    """1-based rank of the first passage from a supporting article, `None` if none in the list."""
    for rank, passage in enumerate(passages, start=1):
        if passage_matches(passage, supporting):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions with a supporting passage in the top `k`."""
    if not ranks:
        return None
    return sum(r is not None and r <= k for r in ranks) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r) / len(ranks)


# --- abstention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbstentionScores:
    """Abstaining is the positive class: precision = abstentions that were right to abstain."""

    precision: float | None
    recall: float | None
    false_refusal_rate: float | None


def abstention_scores(outcomes: Iterable[tuple[bool, bool]]) -> AbstentionScores:
    """`outcomes` holds `(abstained, answerable)` per question."""
    pairs = list(outcomes)
    abstained = [answerable for did, answerable in pairs if did]
    unanswerable = [did for did, answerable in pairs if not answerable]
    answerable = [did for did, ans in pairs if ans]
    return AbstentionScores(
        precision=_share(not a for a in abstained),
        recall=_share(unanswerable),
        false_refusal_rate=_share(answerable),
    )


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


# --- sentences and citation markers -----------------------------------------------------------

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKERS = r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])"
# A sentence ends at a full stop (plus closing quotes and markers), or at markers followed by a
# capitalised word even when the full stop is missing ("...in 2022 [1] Daskal said...").
_SENTENCE_END = re.compile(
    rf"[.!?]+[\"'\u201d\u2019)]*{_MARKERS}*(?=\s|$)|{_MARKERS}+(?=\s+[\"'\u201c\u2018(]?[A-Z])"
)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _word_set(
    "mr mrs ms dr st sen rep gov gen col lt sgt jr sr no vs etc inc corp co ltd dept "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)


def split_sentences(text: str) -> list[str]:
    """Sentences with their trailing `[n]` markers.

    "U.S." and "Jan." do not end a sentence unless a marker follows them ("...the U.S. [2]"), and a
    bare parenthetical after the full stop ("...China." (reported by AP) [1]) belongs to it.
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if "[" not in match.group() and _is_abbreviation(text[start:match.start() + 1]):
            continue
        _append_sentence(sentences, text[start:match.end()].strip())
        start = match.end()
    _append_sentence(sentences, text[start:].strip())
    return sentences


_TRAILING_ASIDE = re.compile(r"\([^()]*\)[.!?]?")


def _append_sentence(sentences: list[str], sentence: str) -> None:
    bare = _SPACE.sub(" ", _MARKER.sub(" ", sentence)).strip()
    if not bare:
        return
    if sentences and _TRAILING_ASIDE.fullmatch(bare):
        sentences[-1] = f"{sentences[-1]} {sentence}"
    else:
        sentences.append(sentence)


def _is_abbreviation(before_and_dot: str) -> bool:
    word = before_and_dot.rsplit(None, 1)[-1] if before_and_dot.strip() else ""
    if not word.endswith("."):
        return False
    bare = re.split(r"[-/\u2013\u2014]", word.strip("\"'(\u201c\u2018").rstrip("."))[-1]
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", bare)) or bare.lower() in _ABBREVIATIONS


def cited_numbers(sentence: str) -> list[int]:
    """Citation numbers in a sentence's `[n]`, `[n][m]` or `[n, m]` markers, in order, no repeats."""
    numbers: list[int] = []
    for group in _MARKER.findall(sentence):
        numbers += [int(n) for n in re.split(r"\s*[,;]\s*", group) if int(n) not in numbers]
    return numbers


def strip_markers(sentence: str) -> str:
    """The claim without markers or the '(reported by …)' list of outlets that carried it."""
    return _SPACE.sub(" ", _REPORTED_BY.sub(" ", _MARKER.sub(" ", sentence))).strip()


_REPORTED_BY = re.compile(r"\(reported by [^)]*\)")


# --- lexical support (eval-side, independent of the system) -------------------------------------

STOPWORDS = _word_set(
    "a an the and or but if then than that this these those there here of in on at to for from by "
    "with without about as into onto over under after before between during since until while is "
    "are was were be been being am do does did doing have has had having it its it's he she they "
    "them his her their theirs we us our you your i me my mine who whom whose which what when where "
    "why how not no nor so too very can could would should will shall may might must also just more "
    "most some any each both all such own same other only said says say according per up out"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z]+")
SUPPORT_WORD_SHARE = 0.6


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match "sanctions"/"sanctioned"/"sanction"."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def content_words(text: str) -> set[str]:
    words = _WORD.findall(normalize(text).replace("'s", ""))
    return {stem(w) for w in words if w not in STOPWORDS and len(w) > 1}


def numbers_in(text: str) -> set[str]:
    return set(_NUMBER.findall(normalize(text)))


def supports(sentence: str, quotes: Sequence[str]) -> bool:
    """Every number of the sentence, and at least 60% of its content words, occur in the quotes."""
    claim = strip_markers(sentence)
    evidence = " ".join(quotes)
    if not numbers_in(claim) <= numbers_in(evidence):
        return False
    words = content_words(claim)
    if not words:
        return True
    return len(words & content_words(evidence)) / len(words) >= SUPPORT_WORD_SHARE


# --- citations ------------------------------------------------------------------------------------


class _Cited(Protocol):
    number: int
    quote: str


@dataclass(frozen=True)
class Tally:
    """A numerator and denominator, so questions can be pooled before dividing."""

    good: int
    total: int

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.good + other.good, self.total + other.total)


def _quotes(citations: Iterable[_Cited]) -> dict[int, str]:
    """Each citation's evidence: the quoted passage plus the outlet and date shown beside it.

    A reader sees outlet and date with every citation, so "(reported by AP and Fox News)" and a
    relative date the system spelled out ("Tuesday (30 January 2024)") are checked against them.
    """
    return {c.number: f"{c.quote} {getattr(c, 'outlet', '')} {_date_words(getattr(c, 'date', ''))}" for c in citations}


def _date_words(iso: str) -> str:
    """'2024-01-30' -> '30 January 2024 2024-01-30', the forms an answer may use."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not match:
        return iso or ""
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    return f"{day} {MONTHS[month - 1]} {year} {iso}"


def citation_correctness(key_facts: Sequence[str], text: str, citations: Iterable[_Cited]) -> Tally:
    """Of the key facts the answer states, how many sit in a sentence whose cited quote holds them."""
    quotes, sentences, tally = _quotes(citations), split_sentences(text), Tally(0, 0)
    for fact in key_facts:
        stating = [s for s in sentences if fact_found(fact, strip_markers(s))]
        if stating:
            tally += Tally(int(any(_fact_cited(fact, s, quotes) for s in stating)), 1)
    return tally


def _fact_cited(fact: str, sentence: str, quotes: Mapping[int, str]) -> bool:
    stated = found_alternatives(fact, strip_markers(sentence))
    cited = [quotes[n] for n in cited_numbers(sentence) if n in quotes]
    return any(_alt_pattern(alt).search(normalize(q)) for alt in stated for q in cited)


def citation_recall(text: str, citations: Iterable[_Cited]) -> Tally:
    """ALCE-style: sentences whose cited quotes, taken together, support them."""
    quotes, tally = _quotes(citations), Tally(0, 0)
    for sentence in split_sentences(text):
        cited = [quotes[n] for n in cited_numbers(sentence) if n in quotes]
        tally += Tally(int(bool(cited) and supports(sentence, cited)), 1)
    return tally


def citation_precision(text: str, citations: Iterable[_Cited]) -> Tally:
    """Citations (one per marker per sentence) that support their sentence on their own."""
    quotes, tally = _quotes(citations), Tally(0, 0)
    for sentence in split_sentences(text):
        for n in cited_numbers(sentence):
            tally += Tally(int(n in quotes and supports(sentence, [quotes[n]])), 1)
    return tally


def ratio(tally: Tally) -> float | None:
    return tally.good / tally.total if tally.total else None


# --- latency --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
