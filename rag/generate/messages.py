"""What a model is asked: fenced prompts built from passages or sentences, the reply read back,
and follow-up questions rewritten."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from rag.core.datewords import MONTH_ABBREVIATIONS
from rag.core.text import defang
from rag.core.types import Passage
from rag.generate import prompts
from rag.generate.client import ChatModel, ChatTurn, ModelUsage, TokenLogprob, chat, stream_chat


def fence_tag() -> str:
    """A fresh random tag per request, so no document text can close its fence or forge one.
    Six hex digits: 16.7 million values against a document that cannot see them, and 9 prompt
    tokens a fence line where twelve digits took 15."""
    return secrets.token_hex(3)


def answer_messages(question: str, passages: list[Passage]) -> list[ChatTurn]:
    """System rules plus the question with each passage fenced as numbered data."""
    tag = fence_tag()
    documents = "\n\n".join(
        prompts.DOCUMENT_FENCE.format(
            tag=tag,
            number=i,
            title=p.title,
            outlet=p.outlet or "unknown",
            date=p.date or "unknown",
            text=defang(p.text),
        )
        for i, p in enumerate(passages, start=1)
    )
    user = prompts.ANSWER_USER.format(tag=tag, documents=documents, question=question)
    return [ChatTurn("system", prompts.ANSWER_SYSTEM), ChatTurn("user", user)]


def stream_answer(llm: ChatModel, question: str, passages: list[Passage],
                  on_usage: Callable[[ModelUsage], None] | None = None, **sampling: Any) -> Iterator[str]:
    """The model's answer as it streams; `sampling` (temperature, max_tokens) goes to the model."""
    yield from stream_chat(llm, answer_messages(question, passages), on_usage, **sampling)


def rewrite_question(llm: ChatModel, question: str, history: list[dict[str, str]]) -> str:
    conversation = "\n".join(f"{m.get('role')}: {m.get('content', '')}" for m in history[-6:])
    messages = [
        ChatTurn("system", prompts.REWRITE_SYSTEM),
        ChatTurn("user", prompts.REWRITE_USER.format(conversation=conversation, question=question)),
    ]
    return chat(llm, messages).strip() or question


CHOICE_MAX_TOKENS = 48  # two short lines; a longer reply is a model ignoring the format
SHORT_ANSWER_WORDS = 12  # past this an "answer line" is a sentence copied out, not a short answer
TITLE_WORDS = 10  # of an article's title, beside each of its sentences
# Of a sentence. News sentences run 20-35 words, a few much longer; clipped at 35, the six shown
# still hold the reference as often as whole sentences do on both RealTime QA halves (at 30 the
# tune half loses 0.02), and about a quarter of them are shorter for it (docs/EVALUATION.md).
SENTENCE_WORDS = 35


def choice_messages(question: str, sentences: list[Passage]) -> list[ChatTurn]:
    """The fixed rules (a prefix the server caches), then the question and the reader's numbered
    sentences, each a `Passage` whose text is one sentence, fenced as data. Consecutive sentences
    of one article share one header line with its date and title (`by_article` puts them
    together): prompt tokens are most of a local model's wait."""
    tag = fence_tag()
    lines: list[str] = []
    previous = ""
    for number, passage in enumerate(sentences, start=1):
        title = _clipped(defang(passage.title), TITLE_WORDS)
        heading = prompts.ARTICLE_LINE.format(date=_day(passage.date), title=title)
        if heading != previous:  # the same heading on the line before: the same article
            lines.append(heading)
            previous = heading
        lines.append(prompts.SENTENCE_LINE.format(number=number, text=_clipped(defang(passage.text), SENTENCE_WORDS)))
    user = prompts.CHOOSE_USER.format(tag=tag, sentences="\n".join(lines), question=question)
    return [ChatTurn("system", prompts.CHOOSE_SYSTEM), ChatTurn("user", user)]


@dataclass(frozen=True)
class Choice:
    """A model's reply to `choice_messages`: its short answer and the sentence numbers it chose."""

    short: str
    numbers: tuple[int, ...]
    said: str = ""  # the reply's words, labels and markers dropped: what it restates when it names no number


_ANSWER_LINE = re.compile(r"^\W*answer\W*:\s*(.*)$", re.IGNORECASE | re.MULTILINE)
_SENTENCES_LINE = re.compile(r"^\W*sentences?\W*:\s*(.*)$", re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(r"\d+")
_MARKERS = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_LABELS = re.compile(r"^\W*(answer|sentences?)\W*:\s*", re.IGNORECASE)


def read_choice(reply: str) -> Choice:
    """Read the two lines back, forgiving what small models do: markers written as "[2]", the
    numbers on the answer line, a missing "Answer:" label, text around the lines. An answer line
    as long as a sentence is no short answer: the chosen sentences then stand alone, instead of
    the answer leading with a copy of itself."""
    answer = _ANSWER_LINE.search(reply)
    short_line = answer.group(1) if answer else reply.strip().splitlines()[0] if reply.strip() else ""
    listed = _SENTENCES_LINE.search(reply)
    numbers_from = listed.group(1) if listed else " ".join(re.findall(r"\[(\d+)\]", reply))
    numbers = tuple(dict.fromkeys(int(n) for n in _NUMBER.findall(numbers_from)))
    short = _MARKERS.sub("", short_line).strip()
    said = " ".join(_LABELS.sub("", _MARKERS.sub("", line)) for line in reply.splitlines()).strip()
    return Choice(short="" if len(short.split()) > SHORT_ANSWER_WORDS else short, numbers=numbers, said=said)


_LABEL_SO_FAR = re.compile(r"\s*(answer)?\s*:?\s*", re.IGNORECASE)


def answer_certainty(tokens: list[TokenLogprob]) -> float | None:
    """How sure the model was of its short answer: the probability of its least likely token,
    after the "Answer:" label and before the line ends; `None` when the server sent no
    log-probabilities. The least likely token is where a guess shows: "Wisconsin" after a sure
    "The state is" is as unsure as its first token."""
    text, least = "", None
    for token, logprob in tokens:
        text += token
        if least is None and _LABEL_SO_FAR.fullmatch(text):
            continue
        if "\n" in token and least is not None:
            break
        least = logprob if least is None else min(least, logprob)
    return None if least is None else math.exp(least)


def answer_line_text(reply_so_far: str) -> str:
    """The part of a streaming reply a reader may see already: the short answer, without its
    label. A reply still spelling the label out shows nothing yet; one without a label (small
    models drop it) shows its first line, as `read_choice` reads it."""
    first = reply_so_far.split("\n", 1)[0]
    found = _ANSWER_LINE.match(first)
    if found:
        return _MARKERS.sub("", found.group(1))
    if "answer:".startswith(first.strip().lower()) or _SENTENCES_LINE.match(first):
        return ""
    return _MARKERS.sub("", first)


def _day(iso: str) -> str:
    """'2024-03-08' -> '8 Mar 2024': the same day in 11 tokens of the model's where ISO takes 14
    (each digit is a token). Anything else is shown as given, or as "undated"."""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso or "undated"
    return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"


def _clipped(text: str, most: int) -> str:
    """One line of at most `most` words: prompt tokens are most of a local model's wait."""
    words = text.split()
    return " ".join(words[:most]) + (" …" if len(words) > most else "")
