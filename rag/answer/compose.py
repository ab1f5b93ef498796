"""Turn chosen sentences or generated text into an `Answer` whose every `[n]` resolves to a citation."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from rag.core.datewords import MONTH_ABBREVIATIONS
from rag.core.text import content_terms, defang, numbers, spelled_in, split_sentences, without_dateline
from rag.core.types import Answer, Citation, Passage, SourceRef
from rag.evidence.refusal import NOT_COVERED
from rag.language.dates import annotate
from rag.query.profile import QuestionKind
from rag.read.extractive import Candidate, carries

_MARKER_GROUP = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
SOURCES_DIFFER = "Sources differ:"
_MONTH = re.compile(rf"\b({'|'.join(MONTH_ABBREVIATIONS)})[a-z]*\.?(?=\s|,|$)")


class Citations:
    """Numbers cited passages in order of first use: one number per distinct passage.

    A second outlet's copy of a quoted sentence is not a second source: it is listed under the
    first citation of that sentence ("also reported by"), so a reader never sees two numbers
    holding the same words, nor one article both numbered and listed under another number.
    """

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._by_chunk: dict[str, int] = {}
        self._quotes: dict[int, list[str]] = {}  # each citation's sentences, in the order cited

    def number(self, passage: Passage, quote: str) -> int:
        """The number citing `passage` for `quote`. A second sentence cited to the same passage
        joins its quote ("first … second"), so every sentence finds its support under its number."""
        if passage.chunk_id in self._by_chunk:
            known = self._by_chunk[passage.chunk_id]
            if passage.chunk_id == self.items[known - 1].chunk_id:
                self._quote_also(known, quote)
            return known
        n = self._carried_by(passage, quote)
        if n is None:
            n = len(self.items) + 1
            self.items.append(
                Citation(
                    number=n,
                    title=passage.title,
                    outlet=passage.outlet,
                    date=passage.date,
                    source=passage.source,
                    chunk_id=passage.chunk_id,
                    quote=quote.strip(),
                    also_reported_by=tuple(r for r in passage.duplicates if carries(r.text, quote)),
                    article_id=passage.article_id,
                )
            )
            self._quotes[n] = [quote.strip()]
        else:
            self._list_under(n, passage)
        self._by_chunk[passage.chunk_id] = n
        return n

    def _carried_by(self, passage: Passage, quote: str) -> int | None:
        """The citation this is a copy of: the same words, or a reprint already listed under it."""
        words = _words(quote)
        for cited in self.items:
            listed = any(r.chunk_id == passage.chunk_id for r in cited.also_reported_by)
            said = self._quotes[cited.number]
            if words in map(_words, said) or (listed and any(carries(quote, q) for q in said)):
                return cited.number
        return None

    def _quote_also(self, n: int, quote: str) -> None:
        said = self._quotes[n]
        if _words(quote) not in map(_words, said):
            said.append(quote.strip())
            self.items[n - 1] = replace(self.items[n - 1], quote=" … ".join(said))

    def _list_under(self, n: int, passage: Passage) -> None:
        """Name `passage` under citation `n`, unless its file is named there already."""
        cited = self.items[n - 1]
        if passage.source in {cited.source, *(r.source for r in cited.also_reported_by)}:
            return
        ref = SourceRef(passage.chunk_id, passage.title, passage.outlet, passage.date, passage.source,
                        passage.text, passage.article_id)
        self.items[n - 1] = replace(cited, also_reported_by=(*cited.also_reported_by, ref))


def _words(quote: str) -> str:
    return " ".join(quote.split()).lower()


def markers(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in dict.fromkeys(numbers))


def extractive_answer(chosen: list[Candidate], kind: QuestionKind = "what", short: str | None = None,
                      **fields: Any) -> Answer:
    """Chosen sentences, each cited to every passage that carries it, with dates made concrete
    for "when" questions and disagreements between sources said out loud. The answer leads with
    its short answer: `short` when given (a model's), else the entity of the type asked for that
    the best sentence holds: "Acme — Acme won the contract … [1].". `fields` may set `mode` and
    `model` for a model's choice; the default is an extractive answer."""
    cites = Citations()
    sentences = []
    if short is None:
        short = _tidy_span(chosen[0].span.text) if chosen and chosen[0].span else ""
    span = short
    for i, cand in enumerate(chosen):
        carriers = [cand, *cand.also]
        cited = [cites.number(c.passage, _quote(c, span if i == 0 else "")) for c in carriers]
        body = without_dateline(cand.sentence.strip())
        if kind == "when":
            body = annotate(body, cand.passage.date)
        sentences.append(_with_markers(body, cited, _outlets(carriers)))
        sentences += [_with_markers(c.sentence.strip(), [cites.number(c.passage, c.sentence)], [])
                      for c in _disagreeing(cand)]
    text = " ".join(sentences)
    if _sources_differ(chosen, kind):
        text = f"{SOURCES_DIFFER} {text}"
    if span:
        text = f"{span} — {text}"
    fields.setdefault("mode", "extractive")
    return Answer(text=text, citations=cites.items, abstained=False, short_answer=span, **fields)


def _quote(cand: Candidate, short: str) -> str:
    """What the citation quotes for a sentence: the sentence, and the one before it where that is
    where the short answer leading the answer is stated ("2.8% of the doses went to …. White
    people received 33 percent."), so the quote shows what backs the whole claim. A short answer
    stated only in the headline is backed by the citation's title."""
    before = cand.context if cand.context != cand.passage.title else ""
    if spelled_in(short, before) and not spelled_in(short, cand.sentence):
        return f"{before} {cand.sentence}"
    return cand.sentence


def _tidy_span(span: str) -> str:
    """The short answer without a stray quote mark the entity model took in ('Morehouse" College'
    from '... of "Morehouse" College'): an odd count of double quotes means one is not its own."""
    quotes = sum(span.count(q) for q in '"“”')
    return " ".join(span.translate(str.maketrans("", "", '"“”')).split()) if quotes % 2 else span


def summary_answer(leads: list[Passage], sentences: int = 2, **fields: Any) -> Answer:
    """"Summarize …": the lead sentences of the best articles (news puts the gist first), each cited."""
    cites = Citations()
    parts = []
    for passage in leads:
        lead = " ".join(split_sentences(passage.text)[:sentences])
        if lead:
            parts.append(_with_markers(without_dateline(defang(lead)), [cites.number(passage, lead)], []))
    return Answer(text=" ".join(parts), citations=cites.items, abstained=False, mode="extractive", **fields)


def _with_markers(sentence: str, cited: list[int], outlets: list[str]) -> str:
    """Markers go before the final full stop; several outlets are named, as readers expect."""
    core, end = (sentence[:-1], sentence[-1]) if sentence[-1:] in ".!?" else (sentence, "")
    if end == "." and core.endswith(("”", '"')):
        core, end = sentence, ""
    attribution = f" (reported by {_join(outlets)})" if len(outlets) > 1 else ""
    return f"{core}{attribution} {markers(cited)}{end}"


def _outlets(carriers: list[Candidate]) -> list[str]:
    return list(dict.fromkeys(c.passage.outlet for c in carriers if c.passage.outlet))


def _disagreeing(cand: Candidate) -> list[Candidate]:
    """Near-identical sentences that give other figures or dates ("2021" vs "2022"); one that is
    only more precise ("August 2022" for "2022") says the same and is not repeated."""
    own = _facts(cand.sentence)
    return [c for c in cand.also if _conflict(own, _facts(c.sentence))]


def _conflict(a: set[str], b: set[str]) -> bool:
    """Two sets of figures state different values: both given, and neither holds the other."""
    return bool(a) and bool(b) and not (a <= b or b <= a)


def _sources_differ(chosen: list[Candidate], kind: str) -> bool:
    """Either a reprint changed a number or date, or two sources answer the same thing differently."""
    if any(_disagreeing(c) for c in chosen):
        return True
    if kind not in ("how_many", "when"):
        return False
    for i, a in enumerate(chosen):
        for b in chosen[i + 1 :]:
            same_topic = _jaccard(content_terms(a.sentence), content_terms(b.sentence)) >= 0.3
            fa, fb = _facts(a.sentence), _facts(b.sentence)
            # stories dated differently report different events (2018's race, 2022's race), not a dispute
            dated_apart = a.passage.date and b.passage.date and a.passage.date != b.passage.date
            if same_topic and not dated_apart and a.passage.source != b.passage.source and _conflict(fa, fb):
                return True
    return False


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _facts(sentence: str) -> set[str]:
    """Figures a reader would compare: years, amounts, months (not "2nd" or "(C)")."""
    return {n for n in numbers(sentence) if len(n) >= 3} | {m[:3] for m in _MONTH.findall(sentence)}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def abstention(closest: list[Passage], mode: str, reason: str = NOT_COVERED, **fields: Any) -> Answer:
    """Decline plainly, and show the nearest passages so the reader can judge for themselves."""
    cites = Citations()
    shown = [p for p in closest[:3]]
    listing = "; ".join(f"{p.title or p.source} {markers([cites.number(p, p.text)])}" for p in shown)
    text = reason if not listing else f"{reason} The closest passages are: {listing}."
    return Answer(text=text, citations=cites.items, abstained=True, mode=mode, **fields)  # type: ignore[arg-type]


def resolve_markers(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Renumber `[n]` (n = position in the prompt) to citation numbers; drop markers that resolve to nothing."""
    cites = Citations()

    def replace(match: re.Match[str]) -> str:
        wanted = [int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))]
        valid = [cites.number(passages[n - 1], passages[n - 1].text) for n in wanted if 1 <= n <= len(passages)]
        return (" " + markers(sorted(set(valid)))) if valid else ""

    resolved = _MARKER_GROUP.sub(replace, text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", resolved).strip(), cites.items
