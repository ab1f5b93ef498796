"""Raw page text -> clean `Article`s: the step that decides what the index will ever be able to cite.

Scraped pages mix a story with navigation, ads, teaser lists, comment forms, photo captions and
sometimes other stories. Anything left in here ends up retrieved and quoted, so the rules are
strict and pattern-based (never keyed on one site):
  text -> lines -> header metadata -> stories (and the page's publisher) -> per story: chrome
  out, title, byline, captions apart, short labels out, then outlet and date from what is left.
The rules live in `header`, `chrome`, `captions`, `metadata` and `stories`; this module only
sequences them.
"""

from __future__ import annotations

import re
import unicodedata

from ingest.article import Article
from ingest.boilerplate import line_key
from ingest.captions import dedupe, is_credit_only, split_captions, strip_credit
from ingest.chrome import drop_blocks, drop_link_lists, split_chrome
from ingest.header import read_header, split_fields, split_front_matter
from ingest.metadata import (
    canonical_outlet,
    dateline_date,
    dates_in,
    fallback_title,
    find_outlet,
    is_date_line,
    is_past,
    labelled_date,
    parse_date,
    source_url,
    take_byline,
)
from ingest.stories import Story, is_chrome_lead_in, is_headline, page_outlet, split_stories

_BULLET = re.compile(r"^(?:[•·▪‣◦►*]|-(?=\s)|#{1,6}(?=\s))\s*")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_WRAP_END = re.compile(r"[.!?:;\"'”’)\]]$")
_SENTENCE_PUNCT = re.compile(r"[.!?。！？]")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # kana, CJK ideographs, hangul
_LABEL_CONNECTORS = {"and", "of", "the", "for", "to", "in", "on", "at", "de", "van", "von", "al"}
_LABEL_MAX_WORDS = 4
_LEADING_LABEL = re.compile(r"^(?:\w+\s){0,2}\w+:\s+(?=\S)")


def parse_page(text: str, source: str, meta: dict[str, str] | None = None) -> list[Article]:
    """Every story on the page as an `Article`, numbered from 0; the page's header (front matter,
    `meta` from HTML, labelled lines, the title line's site suffix) is story 0's metadata; its
    "boilerplate" lines (see `ingest.boilerplate`) are dropped from every story."""
    front, text = split_front_matter(text)
    given = {**front, **{k: v for k, v in (meta or {}).items() if v}}
    shared = {line_key(x) for x in given.pop("boilerplate", "").split("\n") if x.strip()}
    header = read_header(split_fields(normalise_lines(text)), given)
    page_meta = {**header.meta, **given}  # an outlet or date given outright beats the header's
    if "title" in header.meta:
        page_meta["title"] = header.meta["title"]  # the given title, without its site suffix
    stories = split_stories(header.lines, header.title_at)
    publisher = page_outlet(stories)
    if is_chrome_lead_in(stories):
        stories = stories[1:]
    articles: list[Article] = []
    for story in stories:
        own_meta = page_meta if not articles else {}
        article = build_article(story, source, len(articles), own_meta, publisher, shared)
        if article is not None:
            articles.append(article)
    return articles


def normalise_lines(text: str) -> list[str]:
    """Non-empty lines, whitespace collapsed, bullets stripped, hard wraps re-joined."""
    lines: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines.extend(_unwrap([_clean_line(line) for line in block.split("\n")]))
    return _collapse_repeats([line for line in lines if line])


def _clean_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line).translate(_INVISIBLE)
    return _BULLET.sub("", " ".join(line.split()))


def _unwrap(lines: list[str]) -> list[str]:
    """Join a line to the previous one when it clearly continues a sentence (starts lowercase)."""
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line[:1].islower() and not _WRAP_END.search(out[-1]):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _collapse_repeats(lines: list[str]) -> list[str]:
    """Drop a line identical to the one before it (headlines printed twice)."""
    return [line for i, line in enumerate(lines) if i == 0 or line_key(line) != line_key(lines[i - 1])]


def build_article(
    story: Story,
    source: str,
    index: int,
    meta: dict[str, str],
    publisher: str = "",
    shared: set[str] | None = None,
) -> Article | None:
    """One story's lines -> an `Article`, or None when no body text survives cleaning.
    `publisher` is the page's own outlet, used when the story names none of its own; `shared`
    holds the keys of lines the page shares with many files of its folder (boilerplate)."""
    shared = shared or set()
    raw = drop_blocks(story.lines)  # still holds "Posted …" lines, the source URL, the chrome
    kept, chrome = split_chrome([x for x in raw if line_key(x) not in shared])
    title, lines = _take_title(story.title or meta.get("title", ""), _collapse_repeats(kept))
    byline, byline_outlet, lines = take_byline(lines)
    body, captions = split_captions([line for line in lines if not is_date_line(line)])
    body = drop_link_lists([p for p in body if not is_label(p)])
    captions = _captions(captions, meta)
    if not body:
        return None
    return Article(
        title=title or fallback_title(body),
        source=source,
        index=index,
        paragraphs=body,
        captions=captions,
        outlet=canonical_outlet(
            meta.get("outlet") or byline_outlet or find_outlet(body, raw, publisher, chrome)
        ),
        date=_date(meta, raw, body + captions, meta.get("url") or source_url(raw)),
        byline=meta.get("byline") or byline,
    )


def _take_title(title: str, lines: list[str]) -> tuple[str, list[str]]:
    """The given headline, else a leading headline-shaped line; its repeats leave the body."""
    if not title and lines and _could_be_title(lines[0]):
        title = lines[0]
    if not title:
        return "", lines
    return title, [line for line in lines if _unlabelled(line) != _unlabelled(title)]


def _unlabelled(line: str) -> str:
    """The comparison key without a short leading label, so that a player's "Now loaded: <title>"
    and a "Video: <title>" headline both count as the headline printed again."""
    return line_key(_LEADING_LABEL.sub("", line.strip()))


def _could_be_title(line: str) -> bool:
    return (
        is_headline(line)
        and not line.startswith("By ")
        and not is_credit_only(line)
        and not is_date_line(line)
        and len(line.split()) > 1
    )


def is_label(paragraph: str) -> bool:
    """A stand-alone label such as a name over a photo: at most 4 words, every one capitalised
    (a name, not a subheading like "Eat every 2-3 hours"), no sentence punctuation. Scripts
    written without spaces count about two characters a word."""
    words = paragraph.split()
    return (
        len(words) + len(_UNSPACED.findall(paragraph)) // 2 <= _LABEL_MAX_WORDS
        and not _SENTENCE_PUNCT.search(paragraph)
        and all(not w[:1].isalpha() or w[:1].isupper() or w in _LABEL_CONNECTORS for w in words)
    )


def _captions(captions: list[str], meta: dict[str, str]) -> list[str]:
    extra = [strip_credit(c) for c in meta.get("captions", "").split("\n") if c.strip()]
    return [c for c in dedupe(captions + extra) if not is_label(c)]


def _date(meta: dict[str, str], raw: list[str], text: list[str], url: str) -> str:
    """Header or HTML date, a labelled line or the URL's own date (see `labelled_date`), a dateline,
    the first date in the text; a date found in the page that lies in the future is passed over."""
    found = (labelled_date(raw, url), dateline_date(text), *dates_in("\n".join(text)))
    return parse_date(meta.get("date", "")) or next((iso for iso in found if is_past(iso)), "")
