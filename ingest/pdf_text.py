"""A PDF's text layer -> paragraphs, with pypdfium2 (Google's PDFium; Apache-2.0/BSD).

Why PDFium: on the same files it read as well as pypdf and PyMuPDF (word-sequence similarity 1.0
to the source text, columns in reading order), 5-7x faster than pypdf, and it marks the hyphens it
inserted at line ends (\\x02) apart from real ones; pdfplumber scrambled a two-column page and
PyMuPDF is AGPL (figures: docs/perf/README.md, "PDF and DOCX readers").

A PDF has lines, not paragraphs: PDFium hands each line back as a rectangle in reading order, and
a paragraph ends where the gap to the next line is larger than the leading, the font size
changes, a list item begins, or a line ends a sentence before the column or page turns or the
next line is indented. Without this, every hard-wrapped line would reach the cleaner as a
paragraph of its own (and a short one as a headline). A file with no text layer (a scan) or that
needs a password is rejected with a reason that says what to do.
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import FileRejected

_SOFT_HYPHEN = "\x02"
_SENTENCE_END = re.compile(r"[.!?:;\"'”’)\]]$")
_BULLET = re.compile(r"\s*[•▪◦‣●■–]\s")
_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?", re.IGNORECASE)
_GAP = 1.4  # a line this many usual pitches below the last starts a paragraph
_SIZE_CHANGE = 1.5  # and so does a line this much taller or shorter (a headline, a caption)
_INDENT = 0.8  # and a line indented by this many line heights, after a sentence end


@dataclass(frozen=True)
class _Line:
    text: str
    left: float
    bottom: float
    top: float

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)


def pdf_text(data: bytes, path: Path | str) -> str:
    """The text layer as paragraphs, a blank line between them.

    The info dictionary's title is not used: it is as often a file name or an e-paper's page name
    ("The Courier, page 3") as the headline, which the cleaner finds in the text itself."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise FileRejected(path, _open_failure(str(exc))) from exc
    try:
        pages = [_page_paragraphs(page) for page in document]
    finally:
        document.close()
    paragraphs = _join_pages(pages)
    if not paragraphs:
        raise FileRejected(path, f"skipped: PDF has no text layer ({len(pages)} page(s) of images, a scan?); "
                                 "run OCR on it first (e.g. ocrmypdf) and ingest the result")
    return "\n\n".join(paragraphs)


def _open_failure(message: str) -> str:
    if "password" in message.lower():
        return "skipped: encrypted PDF (it needs a password to open); save an unlocked copy and ingest that"
    return f"skipped: not a readable PDF ({message})"


def _page_paragraphs(page: object) -> list[str]:
    lines = _lines(page)
    layout = _Layout.of(lines)
    paragraphs: list[list[_Line]] = []
    for line in lines:
        if paragraphs and not layout.starts_paragraph(paragraphs[-1][-1], line):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    texts = [_join_lines([x.text for x in p]) for p in paragraphs]
    return [t for t in texts if t and not _PAGE_NUMBER.fullmatch(t)]


def _lines(page: object) -> list[_Line]:
    """PDFium's text rectangles in reading order, pieces of one line (a bullet, a bold run) merged."""
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    lines: list[_Line] = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = textpage.get_text_bounded(left, bottom, right, top).replace("\r", "").replace("\n", " ")
        if not text.strip():
            continue
        last = lines[-1] if lines else None
        overlap = min(top, last.top) - max(bottom, last.bottom) if last else 0.0
        if last and left >= last.left and overlap > 0.5 * min(top - bottom, last.height):
            lines[-1] = _Line(last.text + text, last.left, min(last.bottom, bottom), max(last.top, top))
        else:
            lines.append(_Line(text, left, bottom, top))
    return lines


@dataclass(frozen=True)
class _Layout:
    """A page's usual line height and line pitch (top to top), the yardsticks for a paragraph gap."""

    height: float
    pitch: float

    @classmethod
    def of(cls, lines: list[_Line]) -> _Layout:
        height = statistics.median([x.height for x in lines]) if lines else 1.0
        pitches = [a.top - b.top for a, b in itertools.pairwise(lines) if a.top > b.top]
        return cls(height, statistics.median(pitches) if pitches else 1.5 * height)

    def starts_paragraph(self, previous: _Line, line: _Line) -> bool:
        sentence_ended = bool(_SENTENCE_END.search(previous.text.rstrip()))
        if _BULLET.match(line.text):
            return True
        if max(previous.height, line.height) > _SIZE_CHANGE * min(previous.height, line.height):
            return True
        if line.top > previous.top:  # the column turned: the paragraph goes on unless a sentence ended
            return sentence_ended
        usual = self.pitch * max(previous.height, line.height, self.height) / self.height
        if previous.top - line.top > _GAP * usual:
            return True
        return sentence_ended and line.left - previous.left > _INDENT * self.height


def _join_lines(lines: list[str]) -> str:
    """One paragraph's lines as one line: PDFium's inserted hyphens go, real ones stay."""
    text = ""
    for line in lines:
        line = line.strip()
        if text.endswith(_SOFT_HYPHEN):
            text = text[:-1] + line
        elif text.endswith("-") and line[:1].islower():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return " ".join(text.replace(_SOFT_HYPHEN, "").split())


def _join_pages(pages: list[list[str]]) -> list[str]:
    """A paragraph broken by a page turn (no sentence end, next page starts in lower case) is one."""
    paragraphs: list[str] = []
    for page in pages:
        for i, paragraph in enumerate(page):
            if i == 0 and paragraphs and not _SENTENCE_END.search(paragraphs[-1]) and paragraph[:1].islower():
                paragraphs[-1] = f"{paragraphs[-1]} {paragraph}"
            else:
                paragraphs.append(paragraph)
    return paragraphs
