"""Generate the "newswire" evaluation set: ~230 invented wire stories on 45 scraped-looking pages.

    python -m eval.sets.make_newswire [--out DIR]

Writes DIR/corpus/*.txt, DIR/gold.jsonl and DIR/README.md (default DIR: eval/sets/newswire).
Why: the sample corpus is five copies of one story, so retrieval settings tuned on it say little.
This set mixes topics, puts several unrelated stories on one page, and plants near-misses (same
event in another year, same office under another holder, names a letter apart, rewrites of one
story) so that only the passage matching every detail of a question answers it.
The output is a pure function of SEED: re-running must reproduce the committed files byte for byte
(tests/test_eval_sets.py checks), so nothing here may depend on the clock, locale or hash order.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.sets._newswire_families import all_families
from eval.sets._newswire_filler import TEMPLATES, Draw, filler
from eval.sets._newswire_model import Batch, Question, Story, long_date

SEED = 20240611
TOTAL_STORIES = 232
PAGES = 45
MIN_PER_PAGE, MAX_PER_PAGE = 3, 7
FILLER_QUESTIONS_PER_TEMPLATE = 2
UNRELATED_QUESTIONS = 4
MIN_WORDS, MAX_WORDS = 60, 180
DEFAULT_OUT = Path(__file__).resolve().parent / "newswire"

# Outlet -> (label on the "Published" line, page header, page footer).
OUTLETS: dict[str, tuple[str, str, str]] = {
    "Harbor Wire": ("Published", "Harbor Wire | Local | Sports | Business | Weather | Subscribe",
                    "© {year} Harbor Wire. All rights reserved."),
    "Eastline News": ("Posted", "Skip to content\nEastline News — News for the eastern counties",
                      "Eastline News · About us · Contact · Corrections"),
    "Tri-County Post": ("Published", "TRI-COUNTY POST  Menu  Search  Sign in",
                        "Sign up for the Tri-County Post morning briefing."),
    "Vessey Ledger": ("Posted", "The Vessey Ledger\nHome / News / Region",
                      "Copyright {year} The Vessey Ledger"),
}
AGGREGATOR = ("NewsPulse", "NewsPulse — Today's top stories from around the region",
              "Stories on NewsPulse are provided by our partner outlets.")
SEPARATORS = ("Advertisement", "* * *", "ADVERTISEMENT", "Share this story: Facebook | X | Email",
              "More headlines")
# Rewrites of one story must land on different pages, as they would across real outlets.
KEEP_APART = (("fire-wire", "fire-copy", "fire-rewrite"), ("tuition-a", "tuition-b"),
              ("bond-a", "bond-b"), ("corvane-q3-2022", "corvane-q3-2022-rewrite"))
# Pages that hold several members of one family, like a topic archive page.
KEEP_TOGETHER = (("marathon-2019", "marathon-2022"), ("corvane-q1-2022", "corvane-q2-2022"),
                 ("snow-2021", "snow-2022"), ("whitlock", "whitcomb"))


@dataclass(frozen=True)
class Page:
    """One corpus file: a publisher (or the aggregator) and its stories in page order."""

    name: str
    outlet: str
    stories: tuple[Story, ...]
    credits: tuple[str, ...]  # the outlet credited in each story's lead paragraph


def render_story(story: Story, outlet: str) -> str:
    """Headline, blank line, byline / "Published" line, then paragraphs with a dateline lead."""
    label = OUTLETS[outlet][0]
    meta = [f"By {story.byline}"] if story.byline else []
    if not story.dateline_style:
        meta.append(f"{label} {long_date(story.date)}")
        lead = f"{story.city.upper()} ({outlet}) — "
    else:
        lead = f"{story.city.upper()}, {long_date(story.date)} ({outlet}) — "
    blocks = [story.headline] + (["\n".join(meta)] if meta else [])
    blocks += [lead + story.paragraphs[0], *story.paragraphs[1:]]
    return "\n\n".join(blocks)


def render_page(page: Page, rng: random.Random) -> str:
    """Page chrome around the stories, with a separator line between stories."""
    year = str(max(s.date.year for s in page.stories))
    _, header, footer = OUTLETS.get(page.outlet, ("",) + AGGREGATOR[1:])
    parts = [header]
    for i, (story, credit) in enumerate(zip(page.stories, page.credits, strict=True)):
        if i:
            parts.append(rng.choice(SEPARATORS))
        parts.append(render_story(story, credit))
    parts.append(footer.format(year=year))
    return "\n\n".join(parts) + "\n"


def word_count(text: str) -> int:
    return len(text.split())


def check_stories(stories: Sequence[Story]) -> None:
    """Fail loudly if a template drifts outside the 60-180 word band, or if two stories share a
    headline (gold questions find their story by a headline substring)."""
    headlines = [s.headline for s in stories]
    if len(set(headlines)) != len(headlines):
        raise ValueError("duplicate headline: " + next(h for h in headlines if headlines.count(h) > 1))
    for story in stories:
        words = word_count(render_story(story, "Tri-County Post"))
        if not MIN_WORDS <= words <= MAX_WORDS:
            raise ValueError(f"story {story.key} has {words} words")


def page_sizes(rng: random.Random, total: int) -> list[int]:
    """PAGES sizes between 3 and 7 that add up to `total`."""
    sizes = [MIN_PER_PAGE] * PAGES
    for _ in range(total - MIN_PER_PAGE * PAGES):
        sizes[rng.choice([i for i, n in enumerate(sizes) if n < MAX_PER_PAGE])] += 1
    return sizes


def group_stories(rng: random.Random, stories: Sequence[Story]) -> list[list[Story]]:
    """Deal stories onto pages: KEEP_TOGETHER groups first, rewrites on different pages."""
    by_key = {s.key: s for s in stories}
    pinned = {k for group in KEEP_TOGETHER for k in group}
    while True:
        sizes = page_sizes(rng, len(stories))
        pages: list[list[Story]] = [[by_key[k] for k in group] for group in KEEP_TOGETHER]
        pages += [[] for _ in range(PAGES - len(pages))]
        loose = [s for s in stories if s.key not in pinned]
        rng.shuffle(loose)
        for page, size in zip(pages, sizes, strict=True):
            while len(page) < size:
                page.append(loose.pop())
        if _apart(pages):
            break
    for page in pages:
        rng.shuffle(page)
    rng.shuffle(pages)
    return pages


def _apart(pages: Sequence[Sequence[Story]]) -> bool:
    for page in pages:
        keys = {s.key for s in page}
        if any(len(keys.intersection(group)) > 1 for group in KEEP_APART):
            return False
    return True


def make_pages(rng: random.Random, stories: Sequence[Story]) -> list[Page]:
    """Choose a publisher per page (a third are aggregators) and name the files like scrapes."""
    pages = []
    for index, group in enumerate(group_stories(rng, stories)):
        aggregator = rng.random() < 0.33
        outlet = AGGREGATOR[0] if aggregator else rng.choice(sorted(OUTLETS))
        credits = tuple(s.outlet or (rng.choice(sorted(OUTLETS)) if aggregator else outlet)
                        for s in group)
        topics = sorted({s.topic for s in group})
        section = topics[0] if len(topics) == 1 else ("aggregator" if aggregator else "briefing")
        day = max(s.date for s in group).isoformat()
        name = f"{index:02d}-{slug(outlet)}-{section}-{day}.txt"
        pages.append(Page(name, outlet, tuple(group), credits))
    return pages


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def pick_filler_questions(rng: random.Random, questions: Sequence[Question]) -> list[Question]:
    """A couple of questions per template, so every topic is asked about but families dominate."""
    chosen: list[Question] = []
    for template in TEMPLATES:
        mine = [q for q in questions if q.stories[0].startswith(template.__name__ + "-")]
        chosen += rng.sample(mine, FILLER_QUESTIONS_PER_TEMPLATE)
    return chosen


def mark_unrelated(questions: Sequence[Question], pages: Sequence[Page],
                   family_keys: set[str]) -> list[Question]:
    """Type a few filler questions "unrelated", as the sample set does: the question is about a
    story glued onto a page whose other stories (here, a near-miss family's) are about something
    else, so the page's dominant topic is the wrong context."""
    page_of = {s.key: p for p in pages for s in p.stories}
    marked, left = [], UNRELATED_QUESTIONS
    for q in questions:
        if left and any(s.key in family_keys for s in page_of[q.stories[0]].stories):
            q, left = dataclasses.replace(q, type="unrelated"), left - 1
        marked.append(q)
    return marked


def gold_record(number: int, question: Question, where: dict[str, tuple[str, str]]) -> dict:
    """The gold.jsonl schema shared with the sample set."""
    return {
        "id": f"n{number:03d}",
        "type": question.type,
        "question": question.question,
        "history": list(question.history),
        "reference": question.reference,
        "key_facts": list(question.key_facts),
        "supporting": [{"source": where[k][0], "title_contains": where[k][1]} for k in question.stories],
        "answerable": question.answerable,
    }


@dataclass(frozen=True)
class Output:
    files: dict[str, str]  # corpus file name -> text
    gold: list[dict]
    readme: str
    stories: int


def build(seed: int = SEED) -> Output:
    """Everything the set contains, as data; `write` only puts it on disk."""
    rng = random.Random(seed)
    families = all_families()
    batch = Batch(list(families.stories))
    extra = filler(Draw(rng), TOTAL_STORIES - len(families.stories))
    batch.extend(Batch(extra.stories))
    check_stories(batch.stories)
    pages = make_pages(rng, batch.stories)
    files = {p.name: render_page(p, rng) for p in pages}
    where = {s.key: (p.name, s.headline) for p in pages for s in p.stories}
    answerable = [q for q in families.questions if q.answerable]
    unanswerable = [q for q in families.questions if not q.answerable]
    family_keys = {s.key for s in families.stories}
    picked = mark_unrelated(pick_filler_questions(rng, extra.questions), pages, family_keys)
    questions = answerable + picked + unanswerable
    gold = [gold_record(i, q, where) for i, q in enumerate(questions, 1)]
    return Output(files, gold, readme_text(pages, gold), len(batch.stories))


def readme_text(pages: Sequence[Page], gold: Sequence[dict]) -> str:
    stories = sum(len(p.stories) for p in pages)
    types = {t: sum(1 for g in gold if g["type"] == t) for t in
             ("single", "number", "multi", "followup", "unrelated", "unanswerable")}
    counts = ", ".join(f"{n} {t}" for t, n in types.items())
    return f"""# newswire evaluation set

Generated by `python -m eval.sets.make_newswire` (seed {SEED}); do not edit by hand, re-run it.
Everything is invented: people, towns, companies, figures. {stories} stories (60-180 words each)
on {len(pages)} pages in `corpus/`, 3-7 stories per page; a third of the pages are aggregator pages
crediting several outlets. Each story starts with its headline line, a blank line, then a byline
and/or a "Published"/"Posted" line, or a dateline lead ("OSTROW, April 28, 2022 (Harbor Wire) —").

`gold.jsonl`: {len(gold)} questions: {counts}.
Family questions come first, then two per filler template (those typed `unrelated` ask about a
story glued onto a page whose other stories belong to a near-miss family), then unanswerable
ones. `history` holds the earlier user questions of a follow-up, as in the sample set.
`key_facts` of an answerable question occur verbatim in its supporting story; for an unanswerable
question they are the detail the question hinges on, which occurs nowhere in the corpus.

Near-misses the questions must tell apart:
- the Harbor Marathon in 2018, 2019, 2021 and 2022 (Helena Marsh wins two of them); no 2017 or 2020 race;
- Calder Bay police chiefs in 2017, 2020 and 2023; Vessey mayors in 2018 and 2022 (same rivals);
  Tarrow superintendents in 2019 and 2022;
- Corvane Systems results for Q1, Q2, Q3 2022 and Q1 2023 (no fourth quarter);
- Dana Whitlock / Dana Whitcomb, Judge Arthur Penhale / Penhallow, Brightwell / Brightwater Foods;
- Vessey Book Prize 2020 / 2022, Quillan Lantern Festival 2021 / 2023, Calder Bay snowstorms
  2021 / 2022, Coastal League finals 2021 / 2022;
- rewrites of one story on different pages (the Halvorsen Freight fire three times; the Tarrow
  tuition freeze, the Vessey library bond and Corvane's third quarter twice each): their
  questions list every copy as supporting.
"""


def write(out_dir: Path, seed: int = SEED) -> Output:
    """Replace the set in `out_dir` (old corpus files are removed so none linger)."""
    output = build(seed)
    corpus = out_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for old in corpus.glob("*.txt"):
        old.unlink()
    for name, text in output.files.items():
        (corpus / name).write_text(text, encoding="utf-8", newline="\n")
    lines = [json.dumps(record, ensure_ascii=False) for record in output.gold]
    (out_dir / "gold.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    (out_dir / "README.md").write_text(output.readme, encoding="utf-8", newline="\n")
    return output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    output = write(args.out)
    print(f"wrote {output.stories} stories on {len(output.files)} pages and {len(output.gold)} "
          f"questions to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
