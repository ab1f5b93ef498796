"""What a question asks for: its type, the names and numbers it hinges on, its content words.

The extractive answerer uses this to reject sentences that are on topic but do not answer
(a question about what a minister *said* is not answered by a sentence where she *agreed*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.core.datewords import MONTH_NAMES
from rag.core.text import content_terms, numbers, split_sentences
from rag.language.dates import RELATIVE_DATE
from rag.language.entities import Token, described_labels, tokens

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
)  # role nouns of English: these ask for a person
# Plural heads and coordinated questions ask for several things ("which officials …", "… and why …").
_LIST_QUESTION = re.compile(
    r"^(which|what) \w*\s?(figures|numbers|officials|people|steps|measures|reasons|countries|departments|"
    r"agencies|outlets|sources|articles|ways)\b|\b(and (what|why|how|who|when|where))\b"
)
_SUMMARY = re.compile(r"^(please )?(summari[sz]e|give (me )?(a |an )?(summary|overview|recap)|recap)\b")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")  # "in 2018 and 2021", "from 2022 to 2023": one answer per year
_OPINION = re.compile(r"\b(describe|characteri[sz]e|react|respond|think|feel|view)\b")
_MONEY = re.compile(r"\b(money|cost|costs|funding|fund|budget|spend|spent|paid|pay|price|dollars?|grant)\b")
_PERCENT = re.compile(r"\b(percentage|percent|share|proportion|fraction|portion)\b")
_FILLER_TERMS = frozenset({"say", "said", "tell", "told", "mani", "much", "name"})
_SPEECH = re.compile(
    r"\b(say|says|said|saying|tell|tells|told|stated|states that|comment|commented|comments|remarked|described|"
    r"called it|added|noted|acknowledged|warned|stressed|urged|announced|quoted|asked)\b"
)  # lower case on purpose: "State" and "Comment" as nouns are not speech
_NAME = re.compile(
    r"\b(?:[A-Z][a-z]+|[A-Z]\.(?:[A-Z]\.)+|[A-Z]{2,})(?:[\s-](?:[A-Z][a-z]+|[A-Z]\.(?:[A-Z]\.)+|[A-Z]{2,}))*"
)
# A calendar date the asker adds ("(Question date: 2023-01-26.)", "as of January 26, 2023") says when the
# question is asked; it is not a number the answer must contain.
_FULL_DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b(?:{MONTH_NAMES})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b"
    rf"|\b\d{{1,2}} (?:{MONTH_NAMES}) \d{{4}}\b"
)
_DATE_NOTE = re.compile(rf"\((?:[^()]*?)(?:{_FULL_DATE.pattern})[^()]*\)")
_WH_WORD = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how (many|much))\b", re.IGNORECASE)
_HEAD_SKIP = frozenset({"DET", "NUM", "ADJ", "PROPN", "ADV", "PUNCT", "PART"})
_FUNCTION_WORDS = frozenset({"ADP", "DET", "PRON", "AUX", "SCONJ", "CCONJ", "PART", "ADV", "PUNCT"})


QuestionKind = Literal["who", "identity", "when", "where", "how_many", "say", "why", "summary", "which", "what"]
"""What a question asks for: "identity" is "Who is X?", "say" what someone said, "which" a named thing."""


@dataclass(frozen=True)
class QuestionProfile:
    text: str
    kind: QuestionKind
    names: tuple[str, ...]  # capitalised names the answer must be about
    numbers: frozenset[str]
    terms: frozenset[str]
    years: frozenset[str] = frozenset()  # those of `numbers` that are years: "the 2020 race" is not 2019's
    ordinals: frozenset[str] = frozenset()  # "second meeting" is not answered by the first
    money: bool = False  # "how much money" needs an amount of money, not any number
    percent: bool = False  # "what percentage" needs a percentage
    wants_list: bool = False  # asks for several things: a longer answer is welcome
    head: str = ""  # the X of "which X …" / "what is the name of the X …" / "how many X": the answer is an X


def without_dates(question: str) -> str:
    """The question without the calendar dates and relative times that only say *when* it is asked."""
    text = _DATE_NOTE.sub(" ", question)
    text = _FULL_DATE.sub(" ", text)
    return " ".join(RELATIVE_DATE.sub(" ", text).split())


def interrogative(question: str) -> str:
    """The part that asks: quiz questions often set the scene first ("A lone ticket won the
    jackpot. Where was it sold?") or put the question word inside ("… president of which country?")."""
    sentences = split_sentences(question)  # punkt: "Robert F. Kennedy Jr." does not end a sentence
    asking = next((s for s in reversed(sentences) if s.rstrip().endswith("?")), sentences[-1] if sentences else "")
    found = _WH_WORD.search(asking)
    if not found or found.start() == 0:
        return asking
    return asking[found.start():]


def profile(question: str) -> QuestionProfile:
    core = without_dates(question) or question
    kind = _kind(interrogative(core))
    lower = core.lower()
    figures = numbers(core)
    return QuestionProfile(
        text=question,
        kind=kind,
        names=tuple(_names(core)),
        numbers=frozenset(figures),
        years=frozenset(n for n in figures if _YEAR.fullmatch(n)),
        terms=frozenset(content_terms(core) - _FILLER_TERMS),
        ordinals=frozenset(ordinals(core)),
        money=kind == "how_many" and bool(_MONEY.search(lower)),
        percent=kind == "how_many" and bool(_PERCENT.search(lower)),
        wants_list=bool(_LIST_QUESTION.search(lower)) or len(set(_YEAR.findall(core))) >= 2,
        head=head_noun(interrogative(core)) if kind in ("which", "how_many") else "",
    )


def _kind(question: str) -> QuestionKind:
    q = question.lower().strip()
    if _SUMMARY.match(q):
        return "summary"
    speech = _SPEECH.search(q.lower()) or _OPINION.search(q.lower())
    if speech and re.match(r"(what|how) (did|does|do|has|have)\b", q):
        return "say"
    if re.match(r"(how many|how much|what (number|percentage|share|proportion|fraction|portion))\b", q):
        return "how_many"
    if _ROLE_QUESTION.match(q):
        return "who"
    if asks_identity(question):
        return "identity"
    wh_words: tuple[QuestionKind, ...] = ("who", "when", "where", "why")
    for word in wh_words:
        if re.match(rf"{word}\b", q):
            return word
    if re.search(r"\b(what|which) (year|month|day|date|time)\b", q):
        return "when"
    if re.match(r"which\b", q) and head_noun(question):
        return "which"
    head = head_noun(question) if q.startswith("what") else ""
    if head and (described_labels(head) or re.search(r"\bname of\b", q)):
        return "which"  # "what company …", "what is the name of …" ask for a name; "what figures …" does not
    return "what"


def asks_identity(question: str) -> bool:
    """"Who is Ada Lovelace?": a copula and a name only. It asks what the person is (a role, an
    apposition), so the answer is a sentence about them, not another person's name."""
    toks = [t for t in tokens(question) if t.pos != "PUNCT"]
    rest = toks[2:]
    return (len(toks) >= 3 and toks[0].lemma == "who" and toks[1].lemma == "be"
            and any(t.pos == "PROPN" for t in rest) and all(t.pos in ("PROPN", "DET") for t in rest))


def head_noun(question: str) -> str:
    """The noun the answer must be an instance of: "Which two Pac-12 schools …" -> "school",
    "What is the name of the company …" -> "company", "How many years …" -> "year"; "" when the
    question names no such noun.

    Read off part-of-speech tags: after the question word, skip determiners, numbers and
    modifiers to the first common noun; "name of (the) X" looks through to X. Where a modifier
    the tags do not skip stands between them ("which US-supplied missiles"), the dependency
    parse still links the question word to its noun as a determiner."""
    toks = tokens(question)
    if not toks or toks[0].lemma not in ("which", "what", "who", "where", "when", "how"):
        return ""
    rest = list(toks[1:])
    if rest and rest[0].pos == "AUX":  # "What is the name of the X"; "What did …" asks about an action
        if rest[0].lemma != "be":
            return ""
        rest = rest[1:]
        if not rest or rest[0].pos != "DET":
            return ""
    for i, tok in enumerate(rest):
        if tok.pos == "NOUN":
            after = rest[i + 1 :]
            if tok.lemma == "name" and after and after[0].lemma == "of":
                return head_noun_after(after[1:])
            return _last_of_compound(tok, after)
        if tok.pos not in _HEAD_SKIP:
            break
    determined = toks[toks[0].head] if toks[0].dep == "det" and 0 < toks[0].head < len(toks) else None
    if determined is not None and determined.pos == "NOUN":
        return _last_of_compound(determined, list(toks[toks[0].head + 1 :]))
    return ""


def _last_of_compound(noun: Token, after: list[Token]) -> str:
    """"which company CEO": the last noun of the compound names the thing asked for."""
    head = noun.lemma
    while after and after[0].pos == "NOUN":
        head, after = after[0].lemma, after[1:]
    return head


def head_noun_after(toks: list[Token]) -> str:
    """The first common noun after determiners and modifiers ("the new company" -> "company")."""
    for tok in toks:
        if tok.pos == "NOUN":
            return tok.lemma
        if tok.pos not in _HEAD_SKIP:
            return ""
    return ""


def _names(question: str) -> list[str]:
    """Capitalised phrases, ignoring the sentence-initial question word, that name something.

    A capital letter alone does not make a name: the question's second sentence may open with
    "In which …". So a phrase made only of words the tagger reads as function words (and nowhere
    else in the question as more) is dropped. A word the regex cut out of a token ("Open" of
    "OpenAI") is no token, so it stays. A demonym stays a name ("Which Mexican cartel …" is not
    answered by a sentence about Peru)."""
    tagged = tokens(question)
    function_only = ({t.text for t in tagged if t.pos in _FUNCTION_WORDS}
                     - {t.text for t in tagged if t.pos not in _FUNCTION_WORDS})
    found = []
    for match in _NAME.finditer(question):
        name = match.group(0)
        first, *rest = name.split()
        if match.start() == 0 or first.lower() in _QUESTION_WORDS:
            name = " ".join(rest)
        if name and name.lower() not in _QUESTION_WORDS and not set(re.split(r"[\s-]", name)) <= function_only:
            found.append(name)
    return found


def speech_in(sentence: str) -> bool:
    return bool(_SPEECH.search(sentence)) or "“" in sentence or '"' in sentence


_ORDINAL = re.compile(r"\b(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b", re.IGNORECASE)


def ordinals(text: str) -> set[str]:
    """Ordinal words that pick one event out of a series."""
    return {m.lower() for m in _ORDINAL.findall(text)}
