"""Sentence splitting and content words, shared by chunking, answer selection and claim checks.

Sentences come from NLTK's trained English Punkt model, which llama-index ships in its package
data; llama-index's own splitter uses an untrained Punkt that breaks "U.S." and "Jan. 30" apart.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from pathlib import Path

from rag.core.imports import without_optional

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][a-z]+)?")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_BRACKETED_NUMBER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"[.?!]")
_CLOSING = ".?!\"')]}’”"


@functools.cache
def _nltk_data() -> Path:
    """Where the Punkt model and the stopword list are: `NLTK_DATA` if set, else the copy
    llama-index ships (where its own `globals_helper` looks).

    Found by the package's location rather than through `globals_helper`, because importing that
    imports all of `llama_index.core`: 1.5 s of a cold `rag ask`, which otherwise never needs it."""
    folder = os.environ.get("NLTK_DATA")
    if folder:
        return Path(folder)
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        raise RuntimeError("llama-index-core is not installed: its copy of NLTK's Punkt model is needed")
    return Path(spec.origin).parent / "_static" / "nltk_cache"


def _on_nltk_path() -> None:
    import nltk.data

    folder = str(_nltk_data())
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)


@functools.cache
def _punkt():
    with without_optional("scipy.stats", "sklearn"):  # NLTK's init imports both when installed; Punkt uses neither
        from nltk.tokenize import PunktTokenizer

    _on_nltk_path()
    return PunktTokenizer("english")


def split_sentences(text: str) -> list[str]:
    stripped = text.strip()
    if not _SENTENCE_END.search(stripped.rstrip(_CLOSING)):
        # Punkt breaks only after ".", "?" or "!": with none before the end there is one sentence,
        # and a one-line question need not load its model (a third of a second of a cold `rag ask`)
        return [stripped] if stripped else []
    return [s.strip() for s in _punkt().tokenize(text) if s.strip()]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a chunk, paragraph by paragraph: the reader's unit.

    Ingest pools a vector for each of these spans and the reader reads the same spans back, so
    both cut a chunk here; the text at each span is what `split_sentences` gives its paragraph."""
    spans = []
    offset = 0
    for paragraph in text.split("\n\n"):
        for start, end in _punkt().span_tokenize(paragraph):
            piece = paragraph[start:end]
            stripped = piece.strip()
            if stripped:
                first = offset + start + len(piece) - len(piece.lstrip())
                spans.append((first, first + len(stripped)))
        offset += len(paragraph) + 2
    return spans


def split_sentences_keep_space(text: str) -> list[str]:
    """Same sentences, each keeping its trailing space, so that ''.join(...) == text."""
    spans = list(_punkt().span_tokenize(text))
    return [text[s : (spans[i + 1][0] if i + 1 < len(spans) else len(text))] for i, (s, _) in enumerate(spans)]


@functools.cache
def _stopwords() -> frozenset[str]:
    """NLTK's English stopword list. Unzipped, as llama-index ships it, it is a file of one word a
    line, read here directly: importing NLTK for it costs a tenth of a cold `rag ask`."""
    listed = _nltk_data() / "corpora" / "stopwords" / "english"
    if listed.is_file():
        return frozenset(listed.read_text(encoding="utf-8").split())
    with without_optional("scipy.stats", "sklearn"):
        from nltk.corpus import stopwords

    _on_nltk_path()
    return frozenset(stopwords.words("english"))


@functools.cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def content_terms(text: str) -> set[str]:
    """Stemmed words that carry meaning: no stopwords, no punctuation."""
    stop = _stopwords()
    kept = [w for w in words(text) if w not in stop and len(w) > 1]
    return set(_stemmer().stemWords(kept))


def squashed(text: str) -> str:
    """Lower-case letters and digits only: "JP Morgan Chase" and "JPMorgan Chase" read alike."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def spelled_in(part: str, text: str) -> bool:
    """Are `part`'s letters and digits, in order, in `text`? An empty `part` is in nothing."""
    key = squashed(part)
    return bool(key) and key in squashed(text)


def numbers(text: str) -> set[str]:
    """Numbers as written, normalised so '100,000' == '100000'."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def defang(text: str) -> str:
    """'[7]' inside a document is text, not a citation: show it as '(7)' so it cannot become one."""
    return _BRACKETED_NUMBER.sub(r"(\1)", text)


_DATELINE = re.compile(
    r"^[A-Z][A-Z .'-]{2,40}(?:, [A-Z][a-z]+\.? \d{1,2}, \d{4})?(?: \([^)]{2,40}\))? [—–-] (?=[A-Z“\"])"
)


def without_dateline(sentence: str) -> str:
    """'LONDON (AP) — British and …' -> 'British and …': the place and outlet are in the citation."""
    return _DATELINE.sub("", sentence, count=1)
