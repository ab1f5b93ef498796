"""The header a saved page opens with: front matter, lines of labelled fields, and the title line.

Saved pages carry their metadata above the story in a few conventional shapes, read here by form:
  * YAML front matter ("---", "title: …", "date: …", "url: …", "---");
  * several labelled fields on one line: "Source: <url> | Published: 2022-11-03", "By Jane Roe |
    Nov. 3, 2022", "Published … | Updated …", or a labelled date before the headline ("date
    2024-01-30 <headline>"). Such a line is cut into one line per field, which the rest of ingest
    reads as it reads each alone: a labelled URL or date is metadata, never a headline or body;
  * the title line, whose site suffix names the outlet and is no part of the headline: after " | "
    any name-shaped suffix ("… | CNN Politics", "… | World news | The Guardian"); after a dash,
    one that is evidently a site ("… - USA TODAY", "… - Example.com", "… - The Daily Courier").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.chrome import is_chrome
from ingest.metadata import (
    KNOWN_OUTLETS,
    canonical_outlet,
    is_date_line,
    is_labelled_date,
    outlet_from_url,
    parse_byline,
    source_url,
)

_FRONT_MATTER_KEY = re.compile(r"(?P<key>[A-Za-z_]+):\s*(?P<value>.*)")
_HEADER_KEYS = {
    "title": "title", "headline": "title", "date": "date", "published": "date", "author": "byline",
    "byline": "byline", "outlet": "outlet", "publisher": "outlet", "site": "outlet", "source": "outlet",
    "url": "url", "link": "url", "canonical": "url",
}  # fmt: skip
_FIELD_SPLIT = re.compile(r"\s+[|·•]\s+")
_LABELLED_URL = re.compile(
    r"(?:source|url|link|canonical|permalink|originally published (?:at|on))\s*:?\s*(?:https?://|www\.)\S+",
    re.IGNORECASE,
)
_LEADING_DATE = re.compile(
    r"(?P<field>(?:published|posted|date)(?: on)?:?\s+(?:\d{4}-\d{2}-\d{2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}"
    r"|\d{1,2} [A-Za-z]{3,9}\.? \d{4}))\s+(?P<rest>[A-Z\"'“‘].*\s.*\s.*)",
    re.IGNORECASE,
)
_TITLE_SEPARATOR = re.compile(r"\s+(\||[-–—])\s+")
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_NAME_CONNECTORS = {"of", "the", "and", "&", "for", "on", "in", "at", "de", "la", "el"}
# Words newspapers and news sites are named with ("The Daily Courier", "Tri-County Post").
_MASTHEAD_WORDS = {
    "news", "times", "post", "journal", "herald", "tribune", "gazette", "daily", "week", "weekly",
    "today", "online", "magazine", "review", "observer", "guardian", "telegraph", "independent",
    "express", "press", "wire", "insider", "chronicle", "star", "globe", "standard", "examiner",
    "courier", "record", "register", "dispatch", "bulletin", "mirror", "sun", "reporter", "monitor",
}  # fmt: skip
# Section and edition names a site puts after its own name ("CNN Politics", "The Week UK").
_SECTION_WORDS = {
    "politics", "business", "world", "sport", "sports", "opinion", "health", "tech", "technology",
    "science", "entertainment", "travel", "style", "life", "lifestyle", "money", "culture", "local",
    "nation", "national", "markets", "video", "videos", "live", "uk", "us", "u.s.", "international",
    "edition", "arts", "food", "weather", "education", "climate", "media",
}  # fmt: skip
_SITE_MAX_WORDS = 6
_SECTION_MAX_WORDS = 3
_TITLE_SEARCH_LINES = 3
_KNOWN_KEYS = {re.sub(r"[^a-z0-9]", "", name.lower()): canonical_outlet(name) for name in KNOWN_OUTLETS}


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-style front matter ("---", "title: …", "---") read off the top of `text`."""
    lines = text.lstrip("\ufeff\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i, x in enumerate(lines[1:], 1) if x.strip() == "---"), None)
    if end is None:
        return {}, text
    return _front_matter(lines[1:end]), "\n".join(lines[end + 1 :])


def _front_matter(lines: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in lines:
        match = _FRONT_MATTER_KEY.fullmatch(line.strip())
        if match and match["key"].lower() in _HEADER_KEYS:
            value = _unquoted(match["value"].strip())
            key = "url" if value.startswith(("http://", "https://")) else _HEADER_KEYS[match["key"].lower()]
            meta.setdefault(key, value)
    return meta


def _unquoted(value: str) -> str:
    """A YAML value without the one pair of quotes around it: the quotes inside a title stay."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def split_fields(lines: list[str]) -> list[str]:
    """Lines of several labelled fields cut into one line per field; the first line, when it opens
    with a labelled date and goes on with a headline, cut into the two (headline first)."""
    out: list[str] = []
    for n, line in enumerate(lines):
        leading = _LEADING_DATE.fullmatch(line.strip()) if n == 0 else None
        if leading:
            out += [leading["rest"], leading["field"]]
            continue
        parts = _FIELD_SPLIT.split(line.strip())
        out += parts if len(parts) > 1 and _all_fields(parts) else [line]
    return out


def _all_fields(parts: list[str]) -> bool:
    """Every part is a field (a labelled URL or date, a byline, a date) and one is labelled."""
    labelled = [bool(_LABELLED_URL.fullmatch(p) or is_labelled_date(p)) for p in parts]
    fields = [flag or bool(parse_byline(p) or is_date_line(p)) for flag, p in zip(labelled, parts, strict=True)]
    return all(fields) and (any(labelled) or any(map(is_date_line, parts)))


def header_url(lines: list[str], meta: dict[str, str]) -> str:
    """The page's own address: from front matter or HTML, else a labelled or leading URL line."""
    return meta.get("url") or source_url(lines[: _TITLE_SEARCH_LINES + 3])


def title_line(lines: list[str]) -> int | None:
    """Index of the page's title line: the first line that is not chrome, among the first few."""
    for i, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        if not is_chrome(line):
            return i
    return None


def split_site_suffix(title: str, url: str = "") -> tuple[str, str]:
    """(headline, outlet) from "Headline | Site" or "Headline - Site Section"; (title, "") when the
    title carries no site suffix. `url` is the page's own address, if known, as evidence."""
    parts = _TITLE_SEPARATOR.split(title.strip())
    texts, separators = parts[0::2], parts[1::2]
    sites: list[str] = []
    while len(texts) > 1 and separators[-1] == "|" and (
        _site_shaped(texts[-1]) or (sites and _section_shaped(texts[-1]))
    ):
        sites.insert(0, texts.pop())
        separators.pop()
    if not sites and len(texts) > 1 and _site_shaped(texts[-1]) and _evidently_a_site(texts[-1], url):
        sites.insert(0, texts.pop())
        separators.pop()
    headline = texts[0] + "".join(f" {sep} {text}" for sep, text in zip(separators, texts[1:], strict=True))
    one_word_ok = any(_known_in(site) or (url and _spells_host(site, url)) for site in sites)
    if not sites or len(headline.split()) < (1 if one_word_ok else 2):
        return title, ""
    return headline.strip(), site_name(_main_site(sites, url), url)


def _site_shaped(text: str) -> bool:
    """A name: a domain, or a few words each capitalised (or a connector), no sentence punctuation."""
    words = text.split()
    if _DOMAIN.fullmatch(text):
        return True
    return (
        1 <= len(words) <= _SITE_MAX_WORDS
        and not re.search(r"[.!?,;:]", text.replace("U.S.", "US"))
        and all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _NAME_CONNECTORS for w in words)
    )


def _section_shaped(text: str) -> bool:
    """A section name between headline and site ("… | World news | The Guardian")."""
    words = text.split()
    return 1 <= len(words) <= _SECTION_MAX_WORDS and words[0][:1].isupper() and not re.search(r"[.!?,;:]", text)


def _evidently_a_site(text: str, url: str) -> bool:
    """A dash suffix counts only when it is evidently a site, not a headline's second half: it is a
    domain, spells the page's host, names a well-known outlet, or uses a newspaper-name word."""
    words = [w.lower() for w in text.split()]
    return bool(
        _DOMAIN.fullmatch(text)
        or (url and _spells_host(text, url))
        or _known_in(text)
        or _MASTHEAD_WORDS & set(words)
    )


def _main_site(sites: list[str], url: str) -> str:
    """Of the suffixes ("World news", "The Guardian"), the one that names the page's host or a
    well-known outlet, else the last."""
    return next((s for s in sites if (url and _spells_host(s, url)) or _known_in(s)), sites[-1])


def site_name(suffix: str, url: str = "") -> str:
    """The outlet a suffix names: its longest opening words that spell the page's host or a
    well-known outlet ("CNN Politics" -> "CNN"), else the suffix without trailing section words
    ("The Week UK" -> "The Week"); a domain is read as a URL."""
    if _DOMAIN.fullmatch(suffix):
        return outlet_from_url(suffix)
    words = suffix.split()
    for n in range(len(words), 0, -1):
        head = " ".join(words[:n])
        if _known_prefix(head) or (url and _spells_host(head, url)):
            return _known_prefix(head) or head
    while len(words) > 1 and words[-1].lower() in _SECTION_WORDS:
        words.pop()
    return canonical_outlet(" ".join(words))


def _known_in(text: str) -> str:
    """The well-known outlet `text` opens with ("CNN Business" -> "CNN"), or ""."""
    words = text.split()
    return next((_known_prefix(" ".join(words[:n])) for n in range(len(words), 0, -1)
                 if _known_prefix(" ".join(words[:n]))), "")  # fmt: skip


def _known_prefix(text: str) -> str:
    """The well-known outlet `text` is, letter case and punctuation aside ("USA TODAY"), or ""."""
    return _KNOWN_KEYS.get(re.sub(r"[^a-z0-9]", "", text.lower()), "")


def _spells_host(name: str, url: str) -> bool:
    """`name` squashed is a label of the URL's host, or its domain name ("The Week" ~ theweek.co.uk)."""
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    outlet = outlet_from_url(url)
    host_labels = set(re.findall(r"[a-z0-9-]+", outlet.lower().split(".")[0]))
    return bool(squashed) and (
        squashed in {label.replace("-", "") for label in host_labels} or _known_prefix(name) == outlet
    )


@dataclass(frozen=True)
class Header:
    """What a page's header says: metadata for its first story, the page's lines with the title
    line left holding the bare headline, and where that title line is: `TITLE_OUTSIDE` when the
    title came from front matter or HTML, None when the page has no header title."""

    meta: dict[str, str]
    lines: list[str]
    title_at: int | None


TITLE_OUTSIDE = -1


def read_header(lines: list[str], meta: dict[str, str]) -> Header:
    """The page's title without its site suffix, the outlet that suffix (or else the page's own
    URL) names, and the URL itself. The title is the meta title (front matter, HTML) when there is
    one, else the page's title line when a site suffix or a labelled URL or date line under it
    shows it to be one."""
    url = header_url(lines, meta)
    found = {"url": url} if url else {}
    title_at: int | None = None
    outlet = ""
    if meta.get("title"):
        found["title"], outlet = split_site_suffix(meta["title"], url)
        title_at = TITLE_OUTSIDE
    elif (i := title_line(lines)) is not None:
        headline, outlet = split_site_suffix(lines[i], url)
        if outlet or _over_labelled_line(lines, i):
            lines = [*lines[:i], headline, *lines[i + 1 :]]
            found["title"], title_at = headline, i
    if outlet:
        found["outlet"] = outlet
    elif url and not meta.get("outlet"):
        found["outlet"] = outlet_from_url(url)
    return Header(found, lines, title_at)


def _over_labelled_line(lines: list[str], i: int) -> bool:
    """The line under `lines[i]` is a labelled URL or date: `lines[i]` is the page's title."""
    below = lines[i + 1].strip() if i + 1 < len(lines) else ""
    return bool(_LABELLED_URL.fullmatch(below) or is_labelled_date(below))
