"""Turn chosen sentences or generated text into an `Answer` whose every `[n]` resolves to a citation."""

from __future__ import annotations

import re

from rag.extractive import Candidate
from rag.types import Answer, Citation, Passage

_MARKER_GROUP = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
NOT_COVERED = "The corpus does not say."


class Citations:
    """Numbers cited passages in order of first use; one number per passage."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._by_chunk: dict[str, int] = {}

    def number(self, passage: Passage, quote: str) -> int:
        if passage.chunk_id not in self._by_chunk:
            n = len(self.items) + 1
            self._by_chunk[passage.chunk_id] = n
            self.items.append(
                Citation(
                    number=n,
                    title=passage.title,
                    outlet=passage.outlet,
                    date=passage.date,
                    source=passage.source,
                    chunk_id=passage.chunk_id,
                    quote=quote.strip(),
                    also_reported_by=tuple(passage.duplicates),
                )
            )
        return self._by_chunk[passage.chunk_id]


def markers(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def extractive_answer(chosen: list[Candidate], **fields: object) -> Answer:
    cites = Citations()
    sentences = []
    for cand in chosen:
        cited = [cites.number(c.passage, c.sentence) for c in [cand, *cand.also]]
        sentences.append(f"{cand.sentence.strip()} {markers(cited)}")
    return Answer(text=" ".join(sentences), citations=cites.items, abstained=False, mode="extractive", **fields)


def abstention(closest: list[Passage], mode: str, reason: str = NOT_COVERED, **fields: object) -> Answer:
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
