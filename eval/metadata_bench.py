"""Headline, outlet and publish date as ingest reads them off saved pages, scored on pages whose
truth is known: RealTime QA 2024 search results (title, URL and publish date of real articles from
three outlets), each rendered in the header shapes real saved pages have, then read back through
`ingest.parse.parse_file` like any file a user ingests. Reads a local copy of the data set;
nothing of it is committed.

Shapes (one folder of files each):
  * source-line: title line with a site suffix, then "Source: <url> | Published: <date>";
  * labelled-lines: title line, then "URL:", "Published:" and "Updated:" lines in varying order;
  * byline-date: title line, then a byline with the outlet and a date (one line or two);
  * front-matter: YAML front matter with title (sometimes still suffixed), url and an ISO date;
  * dateline: title line, then a dateline with the date opening the first paragraph;
  * html: a web page with <title>, og: tags and JSON-LD datePublished (some tags left out).

Truth: the headline (whitespace-normalised, exact), the outlet (the site's name: compared without
case, punctuation, a leading "The" or a domain's public suffix, so "USA TODAY" and "usatoday.com"
both match "USA Today"), the publish date (exact). Titles that already carry a " | " or " - " are
left out of the sample, so the truth is never itself a suffixed title.

    python -m eval.metadata_bench --data /work/rtqa [--limit 600] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

# Each site's name and the section suffixes its pages put after the headline.
SITES = {
    "www.cnn.com": ("CNN", ["CNN", "CNN Politics", "CNN Business"]),
    "www.usatoday.com": ("USA Today", ["USA TODAY", "USA Today", "USA TODAY News"]),
    "www.theweek.co.uk": ("The Week", ["The Week", "The Week UK"]),
    "theweek.co.uk": ("The Week", ["The Week", "The Week UK"]),
}
PLACES = ["WASHINGTON", "NEW YORK", "LONDON", "CHICAGO", "LOS ANGELES", "PARIS"]
AUTHORS = ["Jane Roe", "Sam Lee", "Ana Ruiz", "Tom Park"]
_LONG_PARAGRAPH_WORDS = 12


@dataclass(frozen=True)
class Truth:
    """What a page really is: its headline, site, address and publish date."""

    title: str
    outlet: str
    url: str
    date: date
    authors: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Read:
    """What ingest made of a page: the first article's headline, outlet and date."""

    title: str
    outlet: str
    date: str


def load_truths(data: Path, limit: int, seed: int) -> list[Truth]:
    """A seeded sample of distinct articles with a whole (not cut) title, no suffix and a date."""
    from eval.sets.realtimeqa import load_search

    _, articles = load_search(data / "past" / "2024")
    usable = [
        a for a in articles.values()
        if urlsplit(a.url).hostname in SITES and a.date and not a.title.endswith("...")
        and " | " not in a.title and " - " not in a.title
    ]  # fmt: skip
    usable.sort(key=lambda a: a.url)
    chosen = random.Random(seed).sample(usable, min(limit, len(usable)))
    return [
        Truth(a.title, SITES[urlsplit(a.url).hostname or ""][0], a.url, date.fromisoformat(a.date),
              a.authors, a.text)
        for a in chosen
    ]  # fmt: skip


# ---------------------------------------------------------------- date and suffix renderings


def us_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def ap_date(day: date) -> str:
    month = f"{day:%b}." if len(f"{day:%B}") > 5 else f"{day:%B}"
    return f"{'Sept.' if day.month == 9 else month} {day.day}, {day.year}"


def uk_date(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def clock(rng: random.Random) -> str:
    return f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d} {rng.choice(['AM', 'PM', 'a.m.', 'p.m.'])}"


def any_date(day: date, rng: random.Random) -> str:
    """One of the ways pages print a date, with or without a time of day."""
    forms = [
        day.isoformat(), us_date(day), ap_date(day), uk_date(day),
        f"{clock(rng)} ET {ap_date(day)}", f"{clock(rng)} EST, {day:%a} {us_date(day)}", f"{day:%A}, {us_date(day)}",
    ]  # fmt: skip
    return rng.choice(forms)


def suffixed(truth: Truth, rng: random.Random) -> str:
    """The title line as a browser saves it: headline, then " | Site" or " - Site Section"."""
    site = rng.choice(SITES[urlsplit(truth.url).hostname or ""][1])
    return f"{truth.title}{rng.choice([' | ', ' - '])}{site}"


def byline_names(truth: Truth, rng: random.Random) -> str:
    names = list(truth.authors[1:] or truth.authors) or [rng.choice(AUTHORS)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def updated(truth: Truth, rng: random.Random) -> date:
    return truth.date + timedelta(days=rng.randint(0, 3))


# ---------------------------------------------------------------- shapes


def source_line(truth: Truth, rng: random.Random) -> str:
    head = f"Source: {truth.url} | Published: {truth.date.isoformat()}"
    return f"{suffixed(truth, rng)}\n{head}\n\n{truth.text}"


def labelled_lines(truth: Truth, rng: random.Random) -> str:
    fields = [
        f"URL: {truth.url}",
        f"Published: {any_date(truth.date, rng)}",
        f"Updated: {any_date(updated(truth, rng), rng)}",
    ]
    rng.shuffle(fields)
    return "\n".join([suffixed(truth, rng), "", *fields, "", truth.text])


def byline_date(truth: Truth, rng: random.Random) -> str:
    names, site = byline_names(truth, rng), rng.choice(SITES[urlsplit(truth.url).hostname or ""][1][:1])
    forms = [
        f"By {names}, {site}\nPublished {any_date(truth.date, rng)}",
        f"By {names} | {any_date(truth.date, rng)}",
        f"By {names}\n{any_date(truth.date, rng)}",
        f"{names}\n{site}\nPublished {any_date(truth.date, rng)} | Updated {any_date(updated(truth, rng), rng)}",
    ]
    return f"{suffixed(truth, rng)}\n\n{rng.choice(forms)}\n\n{truth.text}"


def front_matter(truth: Truth, rng: random.Random) -> str:
    title = suffixed(truth, rng) if rng.random() < 0.5 else truth.title
    stamp = f"{truth.date.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    lines = ["---", f'title: "{title}"', f"url: {truth.url}", f"date: {stamp}", "---"]
    return "\n".join(lines) + f"\n{truth.text}"


def dateline(truth: Truth, rng: random.Random) -> str:
    """The date in a dateline that opens the first long paragraph (lines above it dropped)."""
    paragraphs = [p.strip() for p in truth.text.split("\n\n") if p.strip()]
    first = next((i for i, p in enumerate(paragraphs) if len(p.split()) >= _LONG_PARAGRAPH_WORDS), 0)
    lead = f"{rng.choice(PLACES)}, {rng.choice([ap_date, us_date])(truth.date)} — {paragraphs[first]}"
    return "\n\n".join([suffixed(truth, rng), lead, *paragraphs[first + 1 :]])


def html_page(truth: Truth, rng: random.Random) -> str:
    """A page with <title>, og: tags and JSON-LD; each of og:title and og:site_name and the
    JSON-LD publisher is left out of some pages, as real templates do."""
    from html import escape

    site = SITES[urlsplit(truth.url).hostname or ""][0]
    stamp = f"{truth.date.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    ld: dict[str, object] = {"@context": "https://schema.org", "@type": "NewsArticle",
                             "headline": truth.title, "datePublished": stamp,
                             "dateModified": f"{updated(truth, rng).isoformat()}T23:00:00Z"}  # fmt: skip
    metas = [f'<meta property="og:url" content="{escape(truth.url)}">']
    if rng.random() < 0.6:
        metas.append(f'<meta property="og:title" content="{escape(truth.title)}">')
    if rng.random() < 0.6:
        metas.append(f'<meta property="og:site_name" content="{escape(site)}">')
        ld["publisher"] = {"@type": "Organization", "name": site}
    body = "".join(f"<p>{escape(p.strip())}</p>\n" for p in truth.text.split("\n\n") if p.strip())
    return (
        f"<!doctype html><html><head><title>{escape(suffixed(truth, rng))}</title>\n" + "\n".join(metas)
        + f'\n<script type="application/ld+json">{json.dumps(ld)}</script></head><body>\n'
        + '<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/politics">Politics</a>'
        + f"</nav></header>\n<article><h1>{escape(truth.title)}</h1>\n{body}</article>\n"
        + f"<footer>© {truth.date.year} {escape(site)}. All rights reserved.</footer></body></html>"
    )


SHAPES: dict[str, tuple[Callable[[Truth, random.Random], str], str]] = {
    "source-line": (source_line, ".txt"),
    "labelled-lines": (labelled_lines, ".txt"),
    "byline-date": (byline_date, ".txt"),
    "front-matter": (front_matter, ".md"),
    "dateline": (dateline, ".txt"),
    "html": (html_page, ".html"),
}


# ---------------------------------------------------------------- reading and scoring


def read_back(folder: Path, name: str) -> Read:
    from ingest.errors import FileRejected
    from ingest.parse import parse_file

    try:
        articles = parse_file(folder / name, name)
    except FileRejected:
        return Read("", "", "")
    first = articles[0] if articles else None
    return Read(first.title, first.outlet, first.date) if first else Read("", "", "")


def same_headline(got: str, want: str) -> bool:
    return " ".join(got.split()) == " ".join(want.split())


def outlet_key(name: str) -> str:
    """"USA TODAY", "usatoday.com" and "USA Today" alike; "The Week" like "theweek.co.uk"."""
    name = name.strip().lower()
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", name):
        name = _registrable_name(name)
    key = re.sub(r"[^a-z0-9]", "", name)
    return key.removeprefix("the")


def _registrable_name(host: str) -> str:
    from tld import get_fld

    domain = get_fld(host, fix_protocol=True, fail_silently=True) or host
    return domain.split(".")[0]


def is_bad_title(title: str) -> bool:
    """A title that is a URL or a labelled metadata line, never a headline."""
    labelled = re.match(r"(?:source|url|published|updated)\s*:", title, re.IGNORECASE)
    return bool(re.search(r"https?://|www\.", title) or labelled)


def score_shape(shape: str, truths: list[Truth], seed: int) -> dict[str, float]:
    render, suffix = SHAPES[shape]
    rng = random.Random(f"{seed}:{shape}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n, truth in enumerate(truths):
            (folder / f"page-{n:04d}{suffix}").write_text(render(truth, rng), encoding="utf-8")
        reads = [read_back(folder, f"page-{n:04d}{suffix}") for n in range(len(truths))]
    pairs = list(zip(truths, reads, strict=True))
    return {
        "pages": len(pairs),
        "headline": sum(same_headline(r.title, t.title) for t, r in pairs) / len(pairs),
        "outlet": sum(outlet_key(r.outlet) == outlet_key(t.outlet) for t, r in pairs) / len(pairs),
        "date": sum(r.date == t.date.isoformat() for t, r in pairs) / len(pairs),
        "bad titles": sum(is_bad_title(r.title) for _, r in pairs),
    }


def misses(shape: str, truths: list[Truth], seed: int, field: str, limit: int = 10) -> list[str]:
    """A few pages where `field` came out wrong, for reading: (want, got, url)."""
    render, suffix = SHAPES[shape]
    rng = random.Random(f"{seed}:{shape}")
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n, truth in enumerate(truths):
            (folder / f"page-{n:04d}{suffix}").write_text(render(truth, rng), encoding="utf-8")
        for n, truth in enumerate(truths):
            got = read_back(folder, f"page-{n:04d}{suffix}")
            want = {"headline": truth.title, "outlet": truth.outlet, "date": truth.date.isoformat()}[field]
            have = {"headline": got.title, "outlet": got.outlet, "date": got.date}[field]
            ok = {"headline": same_headline, "outlet": lambda a, b: outlet_key(a) == outlet_key(b),
                  "date": lambda a, b: a == b}[field](have, want)  # fmt: skip
            if not ok and len(out) < limit:
                out.append(f"{want!r} <- {have!r} ({truth.url})")
    return out


def render_table(table: dict[str, dict[str, float]]) -> str:
    rows = [
        "| shape | pages | headline | outlet | date | titled with a URL or label |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for shape, row in table.items():
        rows.append(
            f"| {shape} | {row['pages']:.0f} | {row['headline']:.3f} | {row['outlet']:.3f} | {row['date']:.3f} "
            f"| {row['bad titles']:.0f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/rtqa"))
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--misses", choices=["headline", "outlet", "date"], help="print some wrong pages")
    args = parser.parse_args(argv)
    truths = load_truths(args.data, args.limit, args.seed)
    if args.misses:
        for shape in SHAPES:
            print(f"== {shape}", *misses(shape, truths, args.seed, args.misses), sep="\n")
        return 0
    started = datetime.now()
    table = {shape: score_shape(shape, truths, args.seed) for shape in SHAPES}
    print(render_table(table))
    print(f"({len(truths)} articles, seed {args.seed}, {(datetime.now() - started).total_seconds():.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
