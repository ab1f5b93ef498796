"""A Word (.docx) file -> paragraphs and its headline, with python-docx (MIT).

Why python-docx: it read the test files as completely as docx2txt and mammoth (similarity 1.0 to
the source text), fast enough (hundreds of files a second; docs/perf/README.md), and unlike
docx2txt it gives paragraph styles, so a paragraph styled Title or Heading 1 is the headline even
when the file's own title property names something else (a page, a template). Tables are kept
in document order, one row a paragraph, cells joined by " | ".
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ingest.errors import FileRejected

_HEADLINE_STYLES = ("Title", "Heading 1")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # what a password-protected or pre-2007 Word file starts with


def docx_text(data: bytes, path: Path | str) -> tuple[str, dict[str, str]]:
    """The body as paragraphs (blank line between them) and {"title"} when a headline is styled."""
    import docx
    from docx.table import Table

    if data.startswith(_OLE_SIGNATURE):
        raise FileRejected(path, "skipped: a password-protected or pre-2007 Word file; save it unlocked as .docx")
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FileRejected(path, f"skipped: not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    paragraphs: list[str] = []
    title = ""
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            paragraphs += [" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows]
            continue
        text = " ".join(block.text.split())
        if text and not title and block.style is not None and block.style.name in _HEADLINE_STYLES:
            title = text
        paragraphs.append(text)
    body = "\n\n".join(p for p in paragraphs if p.strip())
    if not body:
        raise FileRejected(path, "skipped: no text in the .docx file")
    return body, {"title": title} if title else {}
