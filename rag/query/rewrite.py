"""Follow-ups ("What did she say about it?") become stand-alone questions before retrieval.

With an LLM configured it rewrites; offline, a rule carries the previous turn's subject: the person
the last question named, else the one its answer named, replaces he/she, and the previous
question's topic replaces it/that.
"""

from __future__ import annotations

import re

from rag.language.entities import people, person_names

_PRONOUN_PERSON = re.compile(r"\b(he|she|him|her|they|them)\b", re.IGNORECASE)
_PRONOUN_POSSESSIVE = re.compile(r"\b(his|hers|their)\b", re.IGNORECASE)
# "it", or "that"/"this" standing alone ("When did that happen?"), not as a determiner ("that point").
_PRONOUN_THING = re.compile(r"\bit\b|\b(that|this)\b(?=\s*(\?|$|happen|mean|is|was|do|does|did))", re.IGNORECASE)
_AUX_QUESTION = re.compile(
    r"(?:why|when|where|how)\s+(?:did|does|do|was|were|is|are|has|have|had)\s+(.+)", re.IGNORECASE
)
_TOPIC = re.compile(r"\b(the|a|an)\s+[^?]+", re.IGNORECASE)
_WHO_IS = re.compile(r"\s*who (?:is|was)\s+(.+?)\??\s*$", re.IGNORECASE)
_ANY_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|it|this|that|these|those)\b", re.IGNORECASE)


def needs_rewrite(question: str, history: list[dict[str, str]] | None) -> bool:
    return bool(history) and bool(_ANY_PRONOUN.search(question) or len(question.split()) <= 3)


def rule_based(question: str, history: list[dict[str, str]]) -> str:
    last_user = _last(history, "user")
    last_answer = _last(history, "assistant")
    # "Who is Ada Lovelace?" then "What did she write?": the person asked about; "Who led the
    # team?" then "What did she say?": the person the answer named.
    who_is = _WHO_IS.match(last_user)
    asked_about = person_names(who_is.group(1)) if who_is else []
    person = asked_about[0] if asked_about else _first_person(last_answer)
    topic = _topic(last_user)
    rewritten = question
    if person:
        rewritten = _PRONOUN_POSSESSIVE.sub(f"{person}'s", rewritten)
        rewritten = _PRONOUN_PERSON.sub(person, rewritten)
    if topic:
        rewritten = _PRONOUN_THING.sub(topic, rewritten, count=1)
    if rewritten == question:  # nothing to substitute: carry the previous question along
        rewritten = f"{question} ({last_user.rstrip('?')})"
    return rewritten


def _topic(question: str) -> str:
    """What an earlier question was about: its clause ("the council delay the vote") when it asked
    about an action, else its object ("the trade mission to Canada")."""
    clause = _AUX_QUESTION.match(question.strip())
    if clause:
        return clause.group(1).rstrip("?").strip()
    noun_phrase = _TOPIC.search(question)
    return noun_phrase.group(0).rstrip("?").strip() if noun_phrase else question.rstrip("?")


def _last(history: list[dict[str, str]], role: str) -> str:
    return next((m.get("content", "") for m in reversed(history) if m.get("role") == role), "")


def _first_person(text: str) -> str | None:
    names = person_names(text) or people(text)  # a full name, else a surname the model takes for a person
    return names[0] if names else None
