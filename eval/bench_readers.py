"""Which PDF and DOCX library ingest uses: speed and text quality of the candidates, measured.

    python -m eval.bench_readers --truth tests/fixtures/formats/sources \
        --pdf tests/fixtures/formats/harbor-ferry-release.pdf ... --docx ...

Quality is the word-sequence similarity (difflib's ratio over whitespace-split words, so reading
order, split or glued words and dropped text all count) between what a library extracts and the
text the file was made from (`<name>.html` in `--truth`, the same stem). Speed is pages (PDF) or
files (DOCX) per second, the median of `--rounds` after one warm-up. Candidates that are not
installed are skipped, so the figures in docs/perf/README.md can be re-taken on any machine that
installs them (`pip install pypdf pdfplumber pypdfium2 pymupdf python-docx docx2txt mammoth`).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

Extractor = Callable[[Path], list[str]]  # one string per page (PDF) or one for the file (DOCX)


def _pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _pypdfium2(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_bounded() for page in document]
    finally:
        document.close()


def _pymupdf(path: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(path) as document:
        return [page.get_text() for page in document]


def _python_docx(path: Path) -> list[str]:
    import docx

    return ["\n\n".join(p.text for p in docx.Document(str(path)).paragraphs)]


def _docx2txt(path: Path) -> list[str]:
    import docx2txt

    return [docx2txt.process(str(path))]


def _mammoth(path: Path) -> list[str]:
    import mammoth

    with path.open("rb") as handle:
        return [mammoth.extract_raw_text(handle).value]


PDF_CANDIDATES: dict[str, tuple[str, Extractor]] = {
    "pypdf": ("pypdf", _pypdf),
    "pdfplumber": ("pdfplumber", _pdfplumber),
    "pypdfium2": ("pypdfium2", _pypdfium2),
    "pymupdf": ("pymupdf", _pymupdf),
}
DOCX_CANDIDATES: dict[str, tuple[str, Extractor]] = {
    "python-docx": ("docx", _python_docx),
    "docx2txt": ("docx2txt", _docx2txt),
    "mammoth": ("mammoth", _mammoth),
}


def truth_words(html: Path) -> list[str]:
    """The words of the headline, byline and paragraphs the test file was made from."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html.read_bytes())
    blocks = [" ".join(el.text_content().split()) for el in tree.iter("h1", "p")]
    return " ".join(blocks).split()


def similarity(expected: list[str], got: str) -> float:
    return SequenceMatcher(None, expected, got.split(), autojunk=False).ratio()


def seconds_per_run(extract: Extractor, path: Path, rounds: int) -> float:
    extract(path)  # warm-up: imports, font tables
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        extract(path)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(candidates: dict[str, tuple[str, Extractor]], files: list[Path], truth: Path | None,
            rounds: int) -> list[dict[str, object]]:
    rows = []
    for name, (module, extract) in candidates.items():
        if importlib.util.find_spec(module) is None:
            print(f"{name}: not installed, skipped")
            continue
        for path in files:
            pages = extract(path)
            row: dict[str, object] = {"library": name, "file": path.name, "pages": len(pages)}
            seconds = seconds_per_run(extract, path, rounds)
            row["per_s"] = round(len(pages) / seconds, 1)
            source = truth / f"{path.stem}.html" if truth else None
            if source and source.exists():
                row["similarity"] = round(similarity(truth_words(source), "\n".join(pages)), 3)
            rows.append(row)
            print(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdf", type=Path, nargs="*", default=[])
    parser.add_argument("--docx", type=Path, nargs="*", default=[])
    parser.add_argument("--truth", type=Path, default=None, help="folder of <stem>.html the files were made from")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    measure(PDF_CANDIDATES, args.pdf, args.truth, args.rounds)
    measure(DOCX_CANDIDATES, args.docx, args.truth, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
