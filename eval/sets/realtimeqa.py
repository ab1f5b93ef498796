"""Import RealTime QA (realtimeqa/realtimeqa_public) from a local copy: a corpus folder and gold set.

Why: our own gold sets were written by us against our own corpus, so they flatter the rules that
grew on them. RealTime QA is weekly news-quiz questions written by others, with the full text of
the articles a web search found for each. The articles carry no licence to redistribute, so
nothing is committed: this reads a local clone and writes DIR/corpus/ (one .txt per distinct
article URL, with title, date, outlet and byline in a front-matter header our reader takes as
metadata) and DIR/gold.jsonl in the schema of `eval/goldset.py`.

Rules (every choice is by a SHA-1 of an id, so runs are identical and no week is favoured):
* answerable questions come from `past/2024/<date>_qa.jsonl`; the question loses its choices, the
  correct choice is the reference and key fact, and a question is kept only when that choice
  occurs (case-insensitive, on word boundaries) in one of its own articles, which become its
  `supporting` files; questions that point at the removed choices ("which of the following")
  are left out, since without the choices they have no answer;
* the corpus is every article of the chosen questions plus distractors (articles of other 2024
  questions) up to `--articles` files;
* unanswerable questions come from `past/2022/<date>_qa.jsonl`: ones whose correct answer occurs
  in no corpus article;
* the split is by the parity of SHA-1(question id): even `tune`, odd `test`.

    python -m eval.sets.realtimeqa --source /path/to/realtimeqa_public --out DIR
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eval.metrics import normalize

IMPORTER_VERSION = "1"
WEEKLY_QA = re.compile(r"\d{8}_qa\.jsonl")
WEEKLY_SEARCH = re.compile(r"\d{8}_gcs\.jsonl")
REFERS_TO_CHOICES = re.compile(r"\b(?:of|among) the following\b|\bwhich of these\b|\bof the above\b",
                               re.IGNORECASE)
SPLITS = ("tune", "test")


@dataclass(frozen=True)
class ImportOptions:
    """How many questions and articles to take; the defaults match the issue's measurement."""

    answerable: int = 200
    unanswerable: int = 40
    articles: int = 2000


@dataclass(frozen=True)
class Question:
    id: str
    date: str  # ISO
    source: str
    text: str
    answer: str


@dataclass(frozen=True)
class SourceArticle:
    url: str
    title: str
    text: str
    date: str  # ISO or ""
    authors: tuple[str, ...]

    @property
    def file_name(self) -> str:
        """Date, host and a hash of the URL: readable, and one file per distinct URL."""
        host = (urlsplit(self.url).hostname or "unknown").removeprefix("www.").replace(".", "-")
        return f"{self.date or 'undated'}-{host}-{digest(self.url)[:10]}.txt"


@dataclass(frozen=True)
class ImportResult:
    gold_lines: list[dict[str, Any]]
    articles: list[SourceArticle]
    distractors: int  # articles no chosen question was searched with


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def split_of(question_id: str) -> str:
    """`tune` for an even SHA-1 of the id, `test` for an odd one: stable and unrelated to dates."""
    return SPLITS[int(digest(question_id), 16) % 2]


def answer_pattern(answer: str) -> re.Pattern[str] | None:
    """The normalised answer, not as part of a longer word or number; None for an empty answer."""
    needle = normalize(answer)
    return re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)") if needle else None


def iso_date(value: str) -> str:
    """'2024/01/05' or '2024-01-05' (perhaps with a time after it) -> '2024-01-05', else ''."""
    match = re.match(r"(\d{4})[/-](\d{2})[/-](\d{2})", value or "")
    return "-".join(match.groups()) if match else ""


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def weekly_files(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """The weekly files only: 2022 also holds cumulative ranges and variants of the same questions."""
    return sorted(p for p in folder.glob("*.jsonl") if pattern.fullmatch(p.name))


def load_questions(folder: Path) -> dict[str, Question]:
    """Questions by id (first occurrence wins); 2022 stores choices and answer as list literals."""
    questions: dict[str, Question] = {}
    for path in weekly_files(folder, WEEKLY_QA):
        for raw in read_jsonl(path):
            choices, answer = _as_list(raw["choices"]), _as_list(raw.get("answer", []))
            if not answer or raw["question_id"] in questions:
                continue
            questions[raw["question_id"]] = Question(
                id=raw["question_id"], date=iso_date(raw.get("question_date", "")),
                source=raw.get("question_source", ""), text=raw["question_sentence"].strip(),
                answer=str(choices[int(answer[0])]).strip(),
            )
    return questions


def _as_list(value: Any) -> list[Any]:
    return ast.literal_eval(value) if isinstance(value, str) else list(value)


def load_search(folder: Path) -> tuple[dict[str, list[str]], dict[str, SourceArticle]]:
    """(question id -> its article URLs in search order, URL -> article).

    A URL fetched for several questions may have been crawled with different text; the longest
    text is kept (ties: the first seen), so one URL is one file. Results without text are dropped.
    """
    own: dict[str, list[str]] = {}
    articles: dict[str, SourceArticle] = {}
    for path in weekly_files(folder, WEEKLY_SEARCH):
        for raw in read_jsonl(path):
            urls = own.setdefault(raw["question_id"], [])
            for result in raw.get("search_result") or []:
                article = _article(result)
                if article is None:
                    continue
                if article.url not in urls:
                    urls.append(article.url)
                known = articles.get(article.url)
                if known is None or len(article.text) > len(known.text):
                    articles[article.url] = article
    return own, articles


def _article(result: dict[str, Any]) -> SourceArticle | None:
    text = (result.get("text") or "").strip()
    if not text or not result.get("url"):
        return None
    authors = result.get("authors") or []
    return SourceArticle(
        url=result["url"], title=" ".join((result.get("title") or "").split()), text=text,
        date=iso_date(result.get("publish_date") or ""),
        authors=tuple(str(a) for a in _as_list(authors)),
    )


def build(source: Path, options: ImportOptions) -> ImportResult:
    """Choose questions and articles from a local copy; pure apart from reading `source`."""
    questions = load_questions(source / "past" / "2024")
    own, articles = load_search(source / "past" / "2024")
    normalized: dict[str, str] = {}  # normalising 85 MB is the slow part: once per URL, when needed
    chosen: list[tuple[Question, list[str]]] = []
    for q in _by_hash(questions.values(), "answerable"):
        pattern = answer_pattern(q.answer)
        if len(chosen) >= options.answerable or pattern is None or REFERS_TO_CHOICES.search(q.text):
            continue
        urls = own.get(q.id, [])
        for u in urls:
            normalized.setdefault(u, normalize(articles[u].text))
        support = [u for u in urls if pattern.search(normalized[u])]
        if support:
            chosen.append((q, support))
    corpus = list(dict.fromkeys(u for q, _ in chosen for u in own[q.id]))
    taken = set(corpus)
    distractors = [u for u in sorted(articles, key=lambda u: digest(f"distractor|{u}")) if u not in taken]
    extra = distractors[: max(0, options.articles - len(corpus))]
    corpus += extra
    corpus_articles = [articles[u] for u in corpus]
    lines = [_gold(q, [articles[u].file_name for u in support]) for q, support in chosen]
    everything = "\n".join(normalized.get(u) or normalize(articles[u].text) for u in corpus)
    lines += _unanswerable(source / "past" / "2022", everything, options.unanswerable)
    return ImportResult(sorted(lines, key=lambda g: g["id"]), corpus_articles, len(extra))


def _by_hash(questions: Iterable[Question], salt: str) -> list[Question]:
    return sorted(questions, key=lambda q: digest(f"{salt}|{q.id}"))


def _unanswerable(folder: Path, everything: str, limit: int) -> list[dict[str, Any]]:
    """2022 questions whose answer occurs nowhere in `everything` (all corpus text, normalised)."""
    found: list[dict[str, Any]] = []
    for q in _by_hash(load_questions(folder).values(), "unanswerable"):
        if len(found) >= limit:
            break
        if REFERS_TO_CHOICES.search(q.text):
            continue
        pattern = answer_pattern(q.answer)
        if pattern is not None and not (normalize(q.answer) in everything and pattern.search(everything)):
            found.append(_gold(q, []))
    return found


def _gold(q: Question, supporting: list[str]) -> dict[str, Any]:
    answerable = bool(supporting)
    return {
        "id": f"rtqa-{q.id}", "type": "single" if answerable else "unanswerable",
        "question": q.text, "history": [], "reference": q.answer,
        "key_facts": [q.answer] if answerable else [],
        "supporting": [{"source": name} for name in supporting], "answerable": answerable,
        "question_date": q.date, "split": split_of(q.id), "quiz": q.source,
    }


def article_file(article: SourceArticle) -> str:
    """Front matter (title, date, outlet, byline) that `ingest.stories` reads as metadata, then the text."""
    header = [f"title: {article.title}", f"date: {article.date}", f"outlet: {outlet_of(article.url)}"]
    if article.authors:
        header.append(f"author: {_names(article.authors)}")
    return "---\n" + "\n".join(header) + "\n---\n" + article.text + "\n"


def outlet_of(url: str) -> str:
    """The site the URL is on ("cnn.com"): the data names no outlet, and the host is honest."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _names(authors: tuple[str, ...]) -> str:
    return authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]


def write(result: ImportResult, out: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write corpus/, gold.jsonl and import.json; files of an earlier import not chosen now go."""
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    names = {a.file_name for a in result.articles}
    for stale in corpus.glob("*.txt"):
        if stale.name not in names:
            stale.unlink()
    size = 0
    for article in result.articles:
        data = article_file(article).encode("utf-8")
        size += len(data)
        path = corpus / article.file_name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    gold = "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in result.gold_lines)
    (out / "gold.jsonl").write_text(gold, encoding="utf-8")
    counts = {s: {"answerable": 0, "unanswerable": 0} for s in SPLITS}
    for g in result.gold_lines:
        counts[g["split"]]["answerable" if g["answerable"] else "unanswerable"] += 1
    stats = {"counts": counts, "articles": len(result.articles), "distractors": result.distractors,
             "bytes": size}
    (out / "import.json").write_text(json.dumps({**meta, **stats}, indent=2) + "\n", encoding="utf-8")
    return stats


def fingerprint(source: Path, options: ImportOptions) -> dict[str, Any]:
    """What decides the import's output: the input files (name, size, mtime), options, version."""
    files = [p for year in ("2022", "2024") for pattern in (WEEKLY_QA, WEEKLY_SEARCH)
             for p in weekly_files(source / "past" / year, pattern)]
    listing = "\n".join(f"{p.relative_to(source)}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in files)
    return {"version": IMPORTER_VERSION, "source": str(source.absolute()), "options": asdict(options),
            "inputs": digest(listing)}


def import_set(source: Path, out: Path, options: ImportOptions = ImportOptions()) -> dict[str, Any]:
    """Build and write the set; returns the counts that `main` prints."""
    meta = fingerprint(source, options)
    return write(build(source, options), out, meta)


def describe(stats: dict[str, Any], out: Path) -> str:
    parts = [f"{split}: {c['answerable']} answerable + {c['unanswerable']} unanswerable"
             for split, c in stats["counts"].items()]
    return (f"{out}: {'; '.join(parts)}; {stats['articles']} articles, {stats['distractors']} of them "
            f"distractors ({stats['bytes'] / 1e6:.1f} MB) in {out / 'corpus'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.sets.realtimeqa", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="local copy of realtimeqa_public")
    parser.add_argument("--out", type=Path, required=True, help="folder for corpus/ and gold.jsonl (not in git)")
    defaults = ImportOptions()
    parser.add_argument("--answerable", type=int, default=defaults.answerable)
    parser.add_argument("--unanswerable", type=int, default=defaults.unanswerable)
    parser.add_argument("--articles", type=int, default=defaults.articles, help="corpus size, distractors included")
    args = parser.parse_args(argv)
    options = ImportOptions(args.answerable, args.unanswerable, args.articles)
    print(describe(import_set(args.source, args.out, options), args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
