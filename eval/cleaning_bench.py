"""How much article text our cleaning keeps and how much chrome it lets through, on web pages we
did not write: scrapinghub's article-extraction-benchmark (181 news and blog pages, MIT licence),
read from a local copy (`ground-truth.json` and `html/<id>.html.gz`); nothing of it is committed.

Three extractors on the same pages, scored against the benchmark's article bodies:
  * `trafilatura`: `trafilatura.extract` with its defaults;
  * `trafilatura (ingest)`: the text `ingest.html` takes from trafilatura (recall-leaning settings);
  * `ours`: that text after our cleaning (`ingest.clean.parse_page`: chrome, captions, stories).
Scores are bag-of-words precision / recall / F1 over lower-cased word tokens (a token counts as
often as it occurs in both texts), per page, then averaged; `empty` counts pages with no text.

    python -m eval.cleaning_bench --data /work/aebench [--limit 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def score(truth: str, predicted: str) -> Score:
    """Bag-of-words overlap; an empty prediction scores 0 on all three."""
    want, got = tokens(truth), tokens(predicted)
    common = sum((want & got).values())
    if not common:
        return Score(0.0, 0.0, 0.0)
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return Score(precision, recall, 2 * precision * recall / (precision + recall))


def load_pages(data: Path, limit: int | None, seed: int) -> list[tuple[str, str, str]]:
    """(id, html, true article body) for every page, or a seeded sample of `limit` of them."""
    truth = json.loads((data / "ground-truth.json").read_text("utf-8"))
    ids = sorted(truth)
    if limit:
        ids = sorted(random.Random(seed).sample(ids, min(limit, len(ids))))
    pages = []
    for page_id in ids:
        raw = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, raw.decode("utf-8", errors="replace"), truth[page_id]["articleBody"]))
    return pages


def trafilatura_default(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def trafilatura_ingest(html: str) -> str:
    from ingest.errors import FileRejected
    from ingest.html import extract_html

    try:
        return extract_html(html)[0]
    except FileRejected:
        return ""


def ours(html: str) -> str:
    from ingest.clean import parse_page
    from ingest.errors import FileRejected
    from ingest.html import extract_html

    try:
        text, meta = extract_html(html)
    except FileRejected:
        return ""
    return "\n\n".join(p for a in parse_page(text, "page", meta) for p in a.paragraphs)


EXTRACTORS: dict[str, Callable[[str], str]] = {
    "trafilatura": trafilatura_default,
    "trafilatura (ingest)": trafilatura_ingest,
    "ours": ours,
}


def run(pages: list[tuple[str, str, str]]) -> dict[str, dict[str, float]]:
    """Mean precision, recall, F1 and the count of empty outputs, per extractor."""
    table: dict[str, dict[str, float]] = {}
    for name, extract in EXTRACTORS.items():
        outputs = [extract(html) for _, html, _ in pages]
        scores = [score(truth, out) for (_, _, truth), out in zip(pages, outputs, strict=True)]
        table[name] = {
            "precision": mean(s.precision for s in scores),
            "recall": mean(s.recall for s in scores),
            "f1": mean(s.f1 for s in scores),
            "empty": sum(not out.strip() for out in outputs),
        }
    return table


def render(table: dict[str, dict[str, float]], pages: int) -> str:
    rows = [f"{pages} pages | precision | recall | F1 | empty", "---|---|---|---|---"]
    for name, row in table.items():
        rows.append(
            f"{name} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['empty']:.0f}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/aebench"))
    parser.add_argument("--limit", type=int, default=None, help="score a seeded sample of N pages")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pages = load_pages(args.data, args.limit, args.seed)
    print(render(run(pages), len(pages)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
