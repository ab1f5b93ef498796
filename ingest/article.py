"""What the cleaner hands the chunker: one story, its metadata, and its text split into body and captions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    """One story cut out of a page. A page may hold several unrelated stories."""

    title: str
    source: str  # file name relative to the ingested folder
    index: int  # position of the story on its page, from 0
    paragraphs: list[str]  # body text, chrome removed, one paragraph per item
    captions: list[str] = field(default_factory=list)  # photo captions, kept apart from the body
    outlet: str = ""  # "" where the page does not say
    date: str = ""  # ISO date "YYYY-MM-DD", "" where unknown
    byline: str = ""

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)
