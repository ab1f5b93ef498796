"""Offline answers: pick the retrieved sentences that answer the question, each with its citation.

Sentences are scored by meaning (MiniLM cosine to the question) and by wording (share of the
question's content words they contain), then filtered by the shape of an answer (a "when" answer
has a date, a "how many" answer a number, a "what did X say" answer has X speaking). The best
few are then read by the NER model: a sentence holding an entity of the type asked for (a person
for "who", a company for "which company") that the question does not name is preferred, and that
entity becomes the short answer. "Why" questions prefer sentences with a causal connective.
Sentences that repeat an already chosen one (the same wire copy in another outlet) are not
repeated: their passages are cited beside it instead.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from rag.core.batch_cache import BatchCache
from rag.core.datewords import MONTH_NAMES, WEEKDAY_NAMES
from rag.core.protocols import Embedder
from rag.core.text import content_terms, defang, numbers, sentence_spans, split_sentences, words
from rag.core.types import Passage
from rag.evidence.refusal import misses_figures
from rag.index.sentence_vectors import ChunkSentences
from rag.language.entities import PERSON, Entity, person_names
from rag.query.answer_type import answer_spans_each, span_key
from rag.query.profile import QuestionProfile, ordinals, speech_in
from rag.query.timeframe import TimeWindow
from rag.retrieval.dedupe import containment, covered, shingles
from rag.retrieval.ranking import time_prior

_DATE = re.compile(
    rf"\b(19|20)\d\d\b|\b({MONTH_NAMES}|"
    rf"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.|{WEEKDAY_NAMES}|"
    r"yesterday|today|last (week|month|year))\b"
)
_MONEY_AMOUNT = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(dollars|euros|pounds|yuan)\b|\b(million|billion) (dollars|euros|pounds|yuan)\b",
    re.IGNORECASE,
)
_WEAK_NAME_WORDS = frozenset({"this", "that", "the", "of", "and", "for"})
# A credit line ('"Title" was reported by …') answers who made a piece, nothing else.
_CREDIT_QUESTION = re.compile(
    r"\b(wrote|written|write|writes|author|authors|byline|reporter|reported|journalist|made|produced|by whom)\b",
    re.IGNORECASE,
)
# Causal connectives of English (a cause is given by the clause they introduce), for "why" questions.
_CAUSE = re.compile(
    r"\b(because|due to|owing to|as a result|result(ed|s)? (in|from)|caused by|led to|leading to|in response to|"
    r"following|after|amid|since|so that|in order to|prompted|over concerns?|citing|the reason)\b",
    re.IGNORECASE,
)
_CAPITAL_WORD = re.compile(r"\b[A-Z][a-zA-Z]+\b")
_PRONOUN = re.compile(r"\b(he|she|they)\b", re.IGNORECASE)
_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|"
    r"billions?|half|third|thirds|quarter|percent|doubled|tripled|quadrupled)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ExtractiveConfig:
    cosine_weight: float = 0.6
    overlap_weight: float = 0.4
    runner_up_margin: float = 0.08  # further sentences must score within this of the best
    max_sentences: int = 3
    max_words: int = 80
    list_sentences: int = 4  # for questions that ask for several things ("which officials …", "… and …")
    list_words: int = 130
    list_margin: float = 0.20
    passages: int = 8  # passages searched for answer sentences (more than are shown as top-k)
    read_articles: int = 2  # of those, the best articles read whole (`rag.retrieval.reading`; RealTime QA tune half)
    read_chunks: int = 40  # ... up to this many chunks of each
    duplicate_containment: float = 0.5
    duplicate_cosine: float = 0.85  # rewrites: same numbers and this close in meaning
    embed_pool: int = 30  # sentences embedded per question, those sharing most words with it
    typed_pool: int = 20  # best sentences the NER model reads for an answer of the type asked for
    type_bonus: float = 0.15  # added when a sentence holds an entity of that type the question does not name
    type_penalty: float = 0.10  # taken off when it holds none
    cause_bonus: float = 0.08  # "why": the sentence gives a cause
    time_bonus: float = 0.3  # x `rag.retrieval.ranking.time_prior`: a sentence of an article from the question's time
    time_width_days: float = 7.0
    vote_weight: float = 0.4  # answer redundancy: bonus x the share of the read sentences' score naming the span
    unmet_penalty: float = 0.2  # per figure (not year) or ordinal of the question a sentence leaves out
    model_sentences: int = 6  # best distinct sentences a model chooses from (`shortlist`)


@dataclass
class Candidate:
    sentence: str
    passage: Passage
    context: str = ""  # the sentence before it, which may name who "he" is or which year
    article: str = ""  # retrieved text of the same article, for names the sentence itself omits
    score: float = 0.0
    vector: np.ndarray | None = None
    span: Entity | None = None  # the short answer inside `sentence`, when the question asks for an entity
    time_prior: float = 0.0  # the part of `score` that says when, not whether, it answers (not evidence)
    also: list[Candidate] = field(default_factory=list)  # the same sentence in other passages


def candidates(passages: list[Passage], stored: Mapping[str, ChunkSentences] | None = None) -> list[Candidate]:
    """Sentences of the passages, each with the sentence before it and its article's other passages.

    A chunk's sentences and their vectors come from `stored` when ingest kept them (the same cut,
    `sentence_spans`); the rest are cut here and embedded by `score` if they get that far."""
    article_text: dict[str, str] = {}
    for passage in passages:
        article_text[passage.article_id] = f"{article_text.get(passage.article_id, '')} {passage.text}"
    found = []
    for passage in passages:
        kept = (stored or {}).get(passage.chunk_id)
        spans = kept.spans.tolist() if kept is not None else sentence_spans(passage.text)
        sentences = [passage.text[a:b] for a, b in spans]
        for i, sentence in enumerate(sentences):
            if len(words(sentence)) >= 4:
                context = sentences[i - 1] if i else passage.title
                vector = kept.vectors[i] if kept is not None and kept.vectors[i].any() else None
                found.append(Candidate(defang(sentence), passage, context, article_text[passage.article_id],
                                       vector=vector))
    return found


def score(cands: list[Candidate], q: QuestionProfile, q_vec: np.ndarray, embedder: Embedder,
          cfg: ExtractiveConfig, window: TimeWindow | None = None) -> None:
    """Fill in each candidate's score: meaning + wording, zero when it fails the question's type.

    Only sentences of the right shape are scored, and of those only the `embed_pool` that share
    most words with the question (and the sentence before); those without a vector stored at
    ingest are embedded here, which is most of an answer's cost when they are many."""
    fitting = [c for c in cands if answers_kind(c, q)]
    if not fitting:
        return
    overlaps = {id(c): _overlap(c.sentence, q) for c in fitting}
    penalty = {id(c): cfg.unmet_penalty * unmet_specifics(c, q) for c in fitting}
    wording = {id(c): overlaps[id(c)] + 0.5 * _overlap(c.context, q) - penalty[id(c)] for c in fitting}
    fitting = sorted(fitting, key=lambda c: wording[id(c)], reverse=True)[: cfg.embed_pool]
    unseen = [c for c in fitting if c.vector is None]
    for cand, vector in zip(unseen, sentence_vectors([c.sentence for c in unseen], embedder)):
        cand.vector = vector
    vectors = np.stack([c.vector for c in fitting if c.vector is not None])  # all have one now
    for cand, cosine in zip(fitting, vectors @ q_vec):
        cand.time_prior = cfg.time_bonus * time_prior(cand.passage.date, window, cfg.time_width_days)
        meaning = cfg.cosine_weight * float(cosine) + cfg.overlap_weight * overlaps[id(cand)]
        cand.score = max(meaning - penalty[id(cand)], 0.0) + cand.time_prior
    if q.kind == "why":
        prefer_causes(cands, cfg)


def prefer_causes(cands: list[Candidate], cfg: ExtractiveConfig) -> None:
    """"Why" is answered by a cause. A sentence with a causal connective ("because", "due to",
    "in response to") ranks at least as high as the sentence before it, which often restates the
    event asked about ("Crews stopped work. The strike was called because …"); others lose a little."""
    by_sentence = {(c.passage.chunk_id, c.sentence): c.score for c in cands}
    for cand in cands:
        if _CAUSE.search(cand.sentence):
            before = by_sentence.get((cand.passage.chunk_id, defang(cand.context)), 0.0)
            cand.score = max(cand.score, before) + cfg.cause_bonus
        elif cand.score > 0:
            cand.score = max(cand.score - cfg.cause_bonus, 1e-6)


def _overlap(text: str, q: QuestionProfile) -> float:
    return len(content_terms(text) & q.terms) / len(q.terms) if q.terms else 0.0


def read_types(cands: list[Candidate], q: QuestionProfile, labels: tuple[str, ...], cfg: ExtractiveConfig) -> None:
    """Run the NER model over the best few sentences: those holding an entity of a wanted label
    gain, those without one lose, and the entity is kept as the candidate's short answer.

    Answer redundancy (as in AskMSR, Brill et al. 2002): an answer that many of the best
    sentences name is likelier than one a single sentence names. Each entity gets the summed
    score of the read sentences that name it; a sentence's short answer is its best-voted entity,
    and the sentence gains `vote_weight` times that entity's share of the votes."""
    if not labels:
        return
    ranked = sorted((c for c in cands if c.score > 0), key=lambda c: c.score, reverse=True)[: cfg.typed_pool]
    spans = dict(zip(map(id, ranked), answer_spans_each([c.sentence for c in ranked], q, labels)))
    spans = {key: [full_name(e, spans) for e in found] for key, found in spans.items()}
    votes: dict[str, float] = {}
    for cand in ranked:
        for key in {span_key(e) for e in spans[id(cand)]}:
            votes[key] = votes.get(key, 0.0) + cand.score
    total = sum(votes.values()) or 1.0
    for cand in ranked:
        found = spans[id(cand)]
        if not found:
            cand.score = max(cand.score - cfg.type_penalty, 1e-6)
            continue
        # the entity of the sentence with the most votes; ties go to the likeliest by position
        cand.span = found[0] if not cfg.vote_weight else max(found, key=lambda e: votes[span_key(e)])
        cand.score += cfg.type_bonus + cfg.vote_weight * votes[span_key(cand.span)] / total


def full_name(entity: Entity, spans: dict[int, list[Entity]]) -> Entity:
    """A lone surname as the fullest person name among the read sentences that ends with it.

    News style names a person in full once and by surname after ("LeBron James ..." then "James
    became ..."), so a sentence that states the fact often carries only the surname. The longer
    form (the most frequent, if several) then carries the sentence's vote and is the short
    answer; offsets stay the surname's. The small NER model often tags a lone surname as an
    organisation ("Thompson became ..."), so those are matched too."""
    if entity.label not in (PERSON, "ORG") or len(entity.text.split()) != 1:
        return entity
    surname = span_key(entity)
    longer = Counter(e.text for found in spans.values() for e in found
                     if e.label == PERSON and len(e.text.split()) > 1 and span_key(e).split()[-1:] == [surname])
    if not longer:
        return entity
    return replace(entity, text=longer.most_common(1)[0][0], label=PERSON)


_SENTENCE_VECTORS: BatchCache[np.ndarray] = BatchCache(20_000)  # ~30 MB of float32 MiniLM vectors


def clear_sentence_cache() -> None:
    """Forget every cached sentence vector, so a benchmark can time a question over unseen text."""
    _SENTENCE_VECTORS.clear()


def sentence_vectors(sentences: list[str], embedder: Embedder) -> np.ndarray:
    """Embed sentences, reusing vectors of sentences seen in earlier questions (corpus text repeats)."""
    def embed(missing: list[str]) -> np.ndarray:
        return np.asarray(embedder.get_text_embedding_batch(missing), dtype=np.float32)

    if not sentences:
        return np.empty((0, 0), dtype=np.float32)
    return np.stack(_SENTENCE_VECTORS.get_many(sentences, embed))


def answers_kind(cand: Candidate, q: QuestionProfile) -> bool:
    """Does this sentence have the shape of an answer to this kind of question?"""
    sentence = cand.sentence
    if cand.passage.kind == "credit" and not _CREDIT_QUESTION.search(q.text.strip()):
        return False
    if misses_figures(q.years, _nearby_figures(cand), q):
        return False  # a year names the edition asked about: the 2020 race is not answered by 2019's
    if q.kind == "say":
        speaker_here = all(_mentions(sentence, n) for n in q.names[:1])
        speaker_before = _PRONOUN.search(sentence) and all(_mentions(cand.context, n) for n in q.names[:1])
        return speech_in(sentence) and bool(speaker_here or speaker_before)
    p = cand.passage
    if not all(_mentions(sentence, n) or _mentioned_around(p.title, p.outlet, p.date, cand.article or p.text, n)
               for n in q.names):
        return False
    if q.kind == "identity":  # "Who is X?": a sentence that names X itself, not one beside it
        return all(_mentions(sentence, n) for n in q.names)
    if q.kind in ("who", "where", "which"):
        return bool(_capitalised(sentence))  # a name or place, read by the NER model later
    if q.kind == "when":
        return bool(_DATE.search(sentence))
    if q.money:
        return bool(_MONEY_AMOUNT.search(sentence))
    if q.kind == "how_many":
        return bool(numbers(sentence) - q.numbers) or bool(_NUMBER_WORDS.search(sentence))
    return True


def unmet_specifics(cand: Candidate, q: QuestionProfile) -> int:
    """How many of the question's specifics (0-2) the sentence leaves out: its figures other than
    years ("3 days", "13 fires") and its ordinals ("a second term").

    Each costs `unmet_penalty` rather than ruling the sentence out: news sentences often leave a
    count or "a second term" implicit. Years and names stay filters (`answers_kind`)."""
    unmet = int(misses_figures(q.numbers - q.years, _nearby_figures(cand), q))
    return unmet + int(bool(q.ordinals - ordinals(cand.sentence)))


def _nearby_figures(cand: Candidate) -> frozenset[str]:
    """Figures of the sentence, the one before it and its article's date ("the storm" in a story
    dated 2022-02-14 is February 2022's)."""
    return _figures_around(cand.context, cand.sentence, cand.passage.date)


@functools.lru_cache(maxsize=4_096)  # both `answers_kind` and `unmet_specifics` ask for each sentence
def _figures_around(context: str, sentence: str, iso_date: str) -> frozenset[str]:
    return frozenset(numbers(f"{context} {sentence} {_date_words(iso_date)}"))


def _date_words(iso_date: str) -> str:
    """'2022-02-14' -> '2022 February'; '' when the article has no (valid) date."""
    try:
        return datetime.strptime(iso_date[:10], "%Y-%m-%d").strftime("%Y %B")
    except ValueError:
        return ""


def _mentions(text: str, name: str) -> bool:
    """A name counts as mentioned when its head word appears: the surname of "Ada Lovelace", the
    "Marathon" of "Boston Marathon" (so an outlet called "Boston Globe" does not count), the
    "Mexico" of "US-Mexico"."""
    parts = name.replace("-", " ").split()  # "US-Mexico border": the head is "Mexico"
    words = [w for w in parts if len(w) > 1 and w.lower() not in _WEAK_NAME_WORDS] or parts
    return bool(re.search(rf"\b{re.escape(words[-1].lower())}", text.lower()))


@functools.lru_cache(maxsize=256)  # about 20 (article, name) pairs a question; each holds an article's text
def _mentioned_around(title: str, outlet: str, iso_date: str, article: str, name: str) -> bool:
    """Does the sentence's article (its headline, outlet, date and retrieved text) name `name`?
    Cached: every sentence of an article asks the same, and the article text is long to search."""
    return _mentions(f"{title} {outlet} {_date_words(iso_date)} {article}", name)


def select(cands: list[Candidate], cfg: ExtractiveConfig, wants_list: bool = False) -> list[Candidate]:
    """Best sentence first, then close runners-up that add something new, within the word budget
    (a larger one when the question asks for several things)."""
    ranked = sorted((c for c in cands if c.score > 0), key=lambda c: c.score, reverse=True)
    if not ranked:
        return []
    if wants_list:
        cfg = replace(cfg, max_sentences=cfg.list_sentences, max_words=cfg.list_words, runner_up_margin=cfg.list_margin)
    chosen: list[Candidate] = []
    grams: list[frozenset] = []
    budget = cfg.max_words
    for cand in ranked:
        g = shingles(cand.sentence)
        twin = next((c for c, cg in zip(chosen, grams) if _same_fact(cand, g, c, cg, cfg)), None)
        if twin is not None:
            # A rewrite in other words is not repeated, but only a reprint is cited beside it: a
            # citation must support the sentence it hangs on by itself, so the twin's wording must
            # be in this one (a short line whose words are all in the twin is not a reprint of it).
            reprint = carries(cand.sentence, twin.sentence, cfg.duplicate_containment)
            if reprint and all(cand.passage.chunk_id != c.passage.chunk_id for c in [twin, *twin.also]):
                twin.also.append(cand)
            continue
        good_enough = not chosen or cand.score >= ranked[0].score - cfg.runner_up_margin
        n_words = len(words(cand.sentence))
        if good_enough and len(chosen) < cfg.max_sentences and (not chosen or n_words <= budget):
            chosen.append(cand)
            grams.append(g)
            budget -= n_words
    for cand in chosen:
        cand.also += _reprints(cand, cfg)
    return chosen


def sentence_passages(listed: list[Candidate]) -> list[Passage]:
    """Each candidate as its passage holding only its sentence: what a prompt shows and a citation quotes."""
    return [replace(c.passage, text=c.sentence) for c in listed]


def shortlist(cands: list[Candidate], size: int, cfg: ExtractiveConfig) -> list[Candidate]:
    """The `size` best sentences, one of each fact: what a model chooses from, grouped by article
    (`by_article`). Reprints and rewrites of a sentence already listed are left out (they would
    only split its votes)."""
    ranked = sorted((c for c in cands if c.score > 0), key=lambda c: c.score, reverse=True)
    listed: list[Candidate] = []
    grams: list[frozenset] = []
    for cand in ranked:
        g = shingles(cand.sentence)
        if any(_same_fact(cand, g, c, cg, cfg) for c, cg in zip(listed, grams)):
            continue
        listed.append(cand)
        grams.append(g)
        if len(listed) == size:
            break
    return by_article(listed)


def by_article(ranked: list[Candidate]) -> list[Candidate]:
    """The same sentences with each article's together, articles in the order of their best
    sentence: a prompt then names each article once (`rag.generate.messages.choice_messages`)."""
    first_seen: dict[str, int] = {}
    for n, cand in enumerate(ranked):
        first_seen.setdefault(cand.passage.article_key, n)
    return sorted(ranked, key=lambda c: first_seen[c.passage.article_key])


def _same_fact(a: Candidate, a_grams: frozenset, b: Candidate, b_grams: frozenset, cfg: ExtractiveConfig) -> bool:
    """Reprinted (shared wording) or rewritten (same numbers, same meaning)."""
    if containment(a_grams, b_grams) >= cfg.duplicate_containment:
        # a reprint shares the names; a rewrite may add "of the U.S. team" but names the same people
        reprint = same_subjects(a.sentence, b.sentence) and same_subjects(b.sentence, a.sentence)
        return reprint or _same_people(a.sentence, b.sentence)
    if a.vector is None or b.vector is None or numbers(a.sentence) != numbers(b.sentence):
        return False
    return float(a.vector @ b.vector) >= cfg.duplicate_cosine


def _same_people(a: str, b: str) -> bool:
    people = set(person_names(a))
    return bool(people) and people == set(person_names(b))


def carries(text: str, sentence: str, threshold: float = 0.5) -> bool:
    """Does `text` contain a reprint of `sentence`: the same wording about the same names, with
    its figures ("9,535 cases" is not reprinted by "almost 10,000 cases")?"""
    return (covered(shingles(sentence), shingles(text)) >= threshold and same_subjects(sentence, text)
            and numbers(sentence) <= numbers(text))


def same_subjects(sentence: str, other: str) -> bool:
    """Templated news ("Judge X ordered Y to pay …") shares wording across different cases; a
    reprint also shares the names. Most of the sentence's capitalised words must be in `other`."""
    names = _capitalised(sentence)
    if not names:
        return True
    return len(names & _capitalised(other, skip_first=False)) / len(names) >= 0.8


def _capitalised(text: str, skip_first: bool = True) -> set[str]:
    found = set(_CAPITAL_WORD.findall(text))
    first = _CAPITAL_WORD.match(text.strip())
    if skip_first and first:
        found.discard(first.group(0))
    return found


def _reprints(cand: Candidate, cfg: ExtractiveConfig) -> list[Candidate]:
    """Copies of the sentence in passages that retrieval collapsed into this one."""
    found = []
    for ref in cand.passage.duplicates:
        if any(c.passage.chunk_id == ref.chunk_id for c in cand.also):
            continue
        match = next(
            (s for s in split_sentences(ref.text) if carries(s, cand.sentence, cfg.duplicate_containment)), None
        )
        if match:
            twin = Passage(chunk_id=ref.chunk_id, text=ref.text, title=ref.title, source=ref.source,
                           score=0.0, outlet=ref.outlet, date=ref.date, article_id=ref.article_id)
            found.append(Candidate(defang(match), twin))
    return found
