"""What a question asks for: its type, the names and numbers it hinges on, its content words.

The extractive answerer uses this to reject sentences that are on topic but do not answer
(a question about what Xi *said* is not answered by a sentence where Xi *agreed*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import content_terms, numbers

_QUESTION_WORDS = {
    "who",
    "whom",
    "whose",
    "what",
    "when",
    "where",
    "which",
    "why",
    "how",
    "did",
    "does",
    "do",
    "is",
    "are",
    "was",
    "were",
}
_ROLE_QUESTION = re.compile(
    r"(which|what) (\S+ )?(person|people|official|officials|ambassador|minister|spokesperson|spokesman|leader|"
    r"advisor|adviser|director|president|secretary|senator|reporter|journalist|author|producer|coach|judge|mayor|"
    r"chief|winner|candidate|lawyer|doctor|scientist)\b"
)
_LIST_QUESTION = re.compile(
    r"^(which|what) \w*\s?(figures|numbers|officials|people|steps|measures|reasons|countries|departments|"
    r"agencies|outlets|sources|articles|ways)\b|\b(and (what|why|how|who|when|where)|each side|both sides|"
    r"according to the articles|how does .* work)\b"
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")  # "in 2018 and 2021", "from 2022 to 2023": one answer per year
_OPINION = re.compile(r"\b(sum up|summed up|describe|characteri[sz]e|react|respond|think|feel|view)\b")
_MONEY = re.compile(r"\b(money|cost|costs|funding|fund|budget|spend|spent|paid|pay|price|dollars?|grant)\b")
_FILLER_TERMS = frozenset({"say", "said", "tell", "told", "mani", "much"})
_SPEECH = re.compile(
    r"\b(say|says|said|saying|tell|tells|told|stated|states that|comment|commented|comments|remarked|described|"
    r"called it|added|noted|acknowledged|warned|stressed|urged|announced|quoted|asked)\b"
)  # lower case on purpose: "State" and "Comment" as nouns are not speech
_NAME = re.compile(
    r"\b(?:[A-Z][a-z]+|[A-Z]\.(?:[A-Z]\.)+|[A-Z]{2,})(?:[\s-](?:[A-Z][a-z]+|[A-Z]\.(?:[A-Z]\.)+|[A-Z]{2,}))*"
)


@dataclass(frozen=True)
class QuestionProfile:
    text: str
    kind: str  # who | when | where | how_many | say | why | what
    names: tuple[str, ...]  # capitalised names the answer must be about
    numbers: frozenset[str]
    terms: frozenset[str]
    ordinals: frozenset[str] = frozenset()  # "second meeting" is not answered by the first
    money: bool = False  # "how much money" needs an amount of money, not any number
    wants_list: bool = False  # asks for several things: a longer answer is welcome


def profile(question: str) -> QuestionProfile:
    return QuestionProfile(
        text=question,
        kind=_kind(question),
        names=tuple(_names(question)),
        numbers=frozenset(numbers(question)),
        terms=frozenset(content_terms(question) - _FILLER_TERMS),
        ordinals=frozenset(ordinals(question)),
        money=_kind(question) == "how_many" and bool(_MONEY.search(question.lower())),
        wants_list=bool(_LIST_QUESTION.search(question.lower())) or len(set(_YEAR.findall(question))) >= 2,
    )


def _kind(question: str) -> str:
    q = question.lower().strip()
    speech = _SPEECH.search(q.lower()) or _OPINION.search(q.lower())
    if speech and re.match(r"(what|how) (did|does|do|has|have)\b", q):
        return "say"
    if re.match(r"(how many|how much|what (number|percentage|share|proportion|fraction|portion))\b", q):
        return "how_many"
    if _ROLE_QUESTION.match(q):
        return "who"
    for word in ("who", "when", "where", "why"):
        if re.match(rf"{word}\b", q):
            return word
    if re.search(r"\b(what|which) (year|month|day|date|time)\b", q):
        return "when"
    return "what"


def _names(question: str) -> list[str]:
    """Capitalised phrases, ignoring the sentence-initial question word."""
    found = []
    for match in _NAME.finditer(question):
        name = match.group(0)
        first, *rest = name.split()
        if match.start() == 0 or first.lower() in _QUESTION_WORDS:
            name = " ".join(rest)
        if name and name.lower() not in _QUESTION_WORDS:
            found.append(name)
    return found


def speech_in(sentence: str) -> bool:
    return bool(_SPEECH.search(sentence)) or "“" in sentence or '"' in sentence


_ORDINAL = re.compile(r"\b(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b", re.IGNORECASE)


def ordinals(text: str) -> set[str]:
    """Ordinal words that pick one event out of a series."""
    return {m.lower() for m in _ORDINAL.findall(text)}
