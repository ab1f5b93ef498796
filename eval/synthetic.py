"""Synthetic news corpora of a chosen size, made offline from the sample and newswire articles.

Why: scale figures are only honest if the corpus does not repeat itself. Copying the five sample
articles 20,000 times would let near-duplicate collapsing, caches and compression flatter every
number. Here each article is built from sentences drawn across all source articles, shuffled, and
every name, place, number, year and month in them is swapped for one drawn from a pool, so (almost)
every sentence, and so every chunk, is distinct while still reading like news prose.

    python -m eval.synthetic OUT_DIR --chunks 10000 [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from rag.core.datewords import MONTH_NAMES, MONTHS

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIRS = (REPO / "data" / "corpus", REPO / "eval" / "sets" / "newswire" / "corpus")

WORDS_PER_CHUNK = 56
"""Body words per chunk at the default chunking (160 word pieces, 24 overlap; invented names
cost several word pieces each), measured on 200- and 400-chunk corpora."""

CHUNKS_PER_ARTICLE = 8
OUTLETS = ("Harbor Wire", "Eastline News", "Tri-County Post", "Vessey Ledger", "Northgate Courier",
           "Riverbend Times", "Capital Dispatch", "Westmark Herald")
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]+(,[^—(]*)?(\([^)]*\))? — ")
_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_CAPITALISED = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b")
_MONTH = re.compile(rf"\b({MONTH_NAMES})\b")
_SYLLABLES = ("an", "bel", "cor", "dra", "el", "fen", "gar", "hol", "is", "jor", "kel", "lin",
              "mar", "nor", "ost", "pel", "quin", "ros", "sel", "tor", "ul", "ven", "wes", "yar")


@dataclass(frozen=True)
class CorpusStats:
    files: int
    words: int
    sentences: int
    distinct_sentences: int
    target_chunks: int


def source_sentences(dirs: tuple[Path, ...] = SOURCE_DIRS) -> list[str]:
    """Prose sentences (8 to 60 words) of every .txt article in `dirs` that exist."""
    sentences: list[str] = []
    for folder in dirs:
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
            for para in path.read_text(encoding="utf-8").split("\n\n"):
                para = _DATELINE.sub("", " ".join(para.split()))
                sentences += [s.strip() for s in _SENTENCE_END.split(para)]
    return [s for s in sentences if 8 <= len(s.split()) <= 60 and s[-1] in ".!?”\""]


def name_pool(rng: random.Random, size: int = 3000) -> list[str]:
    """Invented capitalised words (surnames, towns) from syllables: none collide with real ones."""
    return ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
            for _ in range(size)]


class Varier:
    """Rewrites a sentence with fresh names, numbers, years and months, all drawn at random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names = name_pool(rng)

    def __call__(self, sentence: str) -> str:
        rng, original = self.rng, sentence
        sentence = _NUMBER.sub(lambda m: self._number(m.group()), sentence)
        sentence = _MONTH.sub(lambda _: rng.choice(MONTHS), sentence)
        sentence = _CAPITALISED.sub(lambda m: rng.choice(self.names) if rng.random() < 0.7 else m.group(), sentence)
        if sentence == original or rng.random() < 0.3:
            sentence = self._lead_in() + sentence[0].lower() + sentence[1:]
        return sentence

    def _lead_in(self) -> str:
        """A varied opening clause, so sentences with nothing to swap still differ."""
        rng, name = self.rng, self.rng.choice(self.names)
        return rng.choice((f"In {name}, ", f"On {rng.choice(MONTHS)} {rng.randint(1, 28)}, ",
                           f"According to {name} {rng.choice(self.names)}, ", f"By {rng.randint(1, 12)} p.m., "))

    def _number(self, text: str) -> str:
        digits = text.replace(",", "").replace(".", "")
        if len(digits) == 4 and digits[:2] in ("19", "20"):
            return str(self.rng.randint(2015, 2025))
        value = self.rng.randint(1, 10 ** max(1, len(digits)) - 1)
        return f"{value:,}" if value >= 10000 else str(value)


def article_text(rng: random.Random, vary: Varier, pool: list[str], words: int) -> tuple[str, list[str]]:
    """One article of about `words` body words: title, byline, dateline, paragraphs."""
    body: list[str] = []
    count = 0
    while count < words:
        sentence = vary(rng.choice(pool))
        body.append(sentence)
        count += len(sentence.split())
    paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
    title = " ".join(body[0].split()[:10]).rstrip(",.;:")
    date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2018, 2025)}"
    place = rng.choice(vary.names).upper()
    outlet = rng.choice(OUTLETS)
    head = f"{title}\n\nBy {rng.choice(vary.names)} {rng.choice(vary.names)}\nPublished {date}\n\n"
    paragraphs[0] = f"{place} ({outlet}) — {paragraphs[0]}"
    return head + "\n\n".join(paragraphs) + "\n", body


def make_corpus(out_dir: Path, chunks: int, seed: int = 7, per_article: int = CHUNKS_PER_ARTICLE) -> CorpusStats:
    """Write about `chunks` chunks' worth of distinct articles into `out_dir` (one per file)."""
    rng = random.Random(seed)
    pool = source_sentences()
    if not pool:
        raise FileNotFoundError(f"no source articles in {', '.join(map(str, SOURCE_DIRS))}")
    vary = Varier(rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = max(1, round(chunks / per_article))
    words_each = max(WORDS_PER_CHUNK, round(chunks * WORDS_PER_CHUNK / files))
    seen: set[int] = set()
    total_words = total_sentences = 0
    for i in range(files):
        text, body = article_text(rng, vary, pool, words_each)
        (out_dir / f"synthetic-{i:06d}.txt").write_text(text, encoding="utf-8")
        seen.update(hash(s) for s in body)
        total_sentences += len(body)
        total_words += len(text.split())
    stats = CorpusStats(files, total_words, total_sentences, len(seen), chunks)
    (out_dir.parent / f"{out_dir.name}.json").write_text(json.dumps(stats.__dict__, indent=2))
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    stats = make_corpus(args.out_dir, args.chunks, args.seed)
    print(json.dumps(stats.__dict__))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
