"""What kind of thing answers a question, and where that thing is in a sentence.

who -> a person the question does not name; when -> a date; where -> a place; how many / how much
-> a number, an amount of money or a percentage; "which X" -> an entity that is an X. The entity
labels are the NER model's (OntoNotes). For "which X" the label is read off the model's own label
descriptions ("ORG": "Companies, agencies, institutions"): X's stem in a description picks that
label; otherwise any named thing may answer, and one the sentence calls an X is preferred.
"""

from __future__ import annotations

from rag.core.text import content_terms, without_dateline, words
from rag.language.entities import Entity, described_labels, entities_of
from rag.query.profile import QuestionProfile

_BY_KIND = {
    "who": ("PERSON",),
    "when": ("DATE", "TIME"),
    "where": ("GPE", "LOC", "FAC"),
    "how_many": ("CARDINAL", "QUANTITY"),  # a count; money and shares only when asked for (`wanted_labels`)
}
# Units of time: "how many years" asks for a duration, which the model labels DATE or TIME ("50 years").
_TIME_UNITS = frozenset({"second", "minute", "hour", "day", "week", "month", "year", "decade", "century"})
# Labels of things with names: what "which X" asks for when no label's description names X.
NAMED = ("PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW")


def wanted_labels(q: QuestionProfile) -> tuple[str, ...]:
    """The entity labels an answer to `q` must carry; () when any sentence shape may answer."""
    if q.kind == "how_many":
        if q.money:
            return ("MONEY",)
        if q.percent:
            return ("PERCENT",)
        return _BY_KIND["how_many"] + (_BY_KIND["when"] if q.head in _TIME_UNITS else ())
    if q.kind == "which" and q.head:
        return labels_for_noun(q.head)
    return _BY_KIND.get(q.kind, ())


def labels_for_noun(noun: str) -> tuple[str, ...]:
    """Entity labels whose description names what `noun` is: "company" -> ORG, "state" -> GPE;
    any kind of name when no description does ("singer", "platform": the appositive decides)."""
    return tuple(label for label in described_labels(noun) if label in NAMED) or NAMED


def answer_spans(sentence: str, q: QuestionProfile, labels: tuple[str, ...]) -> list[Entity]:
    """Every entity of a wanted label the question does not already name, the likeliest first:
    for "which X" those the sentence calls an X ("the singer Tracy Chapman", "Tidewater, the
    operator"), for "how many X" those that count X ("50 years", "18 people"), then the rest in
    sentence order (news sentences put the subject first)."""
    return answer_spans_each([sentence], q, labels)[0]


def answer_spans_each(sentences: list[str], q: QuestionProfile, labels: tuple[str, ...]) -> list[list[Entity]]:
    """`answer_spans` of each sentence, with one batched run of the NER model over them all."""
    if not labels:
        return [[] for _ in sentences]
    asked = _plain_words(q.text) | set(words(q.text))
    cleaned = [without_dateline(s) for s in sentences]  # "WASHINGTON —" is where it was filed, not an answer
    spans = []
    for sentence, found in zip(cleaned, entities_of(cleaned)):
        fitting = [e for e in found if e.label in labels and _has_word(e.text) and not _named_in_question(e, q, asked)]
        if q.head:
            called = [e for e in fitting if _called(sentence, e, q.head)]
            rest = [e for e in fitting if e not in called]
            if q.kind == "how_many":  # a date answers "how many years" when it counts them ("50 years", not "Tuesday")
                rest = [e for e in rest if e.label not in _BY_KIND["when"]]
            fitting = called + rest
        spans.append(fitting)
    return spans


def _has_word(text: str) -> bool:
    """The model now and then tags a lone dash or quote mark: that names nothing."""
    return any(ch.isalnum() for ch in text)


def span_key(entity: Entity) -> str:
    """What two mentions of one answer share: "the United States" and "United States"."""
    return " ".join(w for w in words(entity.text.lower()) if w not in ("the", "a", "an"))


def _called(sentence: str, entity: Entity, head: str) -> bool:
    """Is the entity named as an X: X just before it ("singer Tracy Chapman", "the company Acme"),
    in it or just after it ("50 years", "18 people") or in an apposition after it ("Acme, the
    company that …")?"""
    before = words(sentence[max(0, entity.start - 40) : entity.start])[-3:]
    after = words(sentence[entity.end : entity.end + 40])[:4]
    stem = content_terms(head)
    counted = content_terms(" ".join([*words(entity.text), *after[:1]]))
    return bool(stem & content_terms(" ".join(before))) or bool(stem & counted) or (
        sentence[entity.end : entity.end + 2].startswith(",") and bool(stem & content_terms(" ".join(after))))


def _plain_words(text: str) -> set[str]:
    """Lower-case words without dots, possessives or punctuation, split at hyphens: "U.S." and
    "US" are the same word, and "US-backed" names the US."""
    lowered = text.lower().replace("’", "'").replace("-", " ")
    return {w.strip(".,;:!?\"“”()'").replace(".", "").removesuffix("'s") for w in lowered.split()} - {""}


def _named_in_question(entity: Entity, q: QuestionProfile, asked: set[str]) -> bool:
    """"Biden" in an answer to "What did Biden sign?" is the subject, not the answer."""
    terms = content_terms(entity.text)
    own = _plain_words(entity.text)
    return (bool(terms) and terms <= q.terms) or (bool(own) and own <= asked)
