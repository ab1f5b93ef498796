"""Title, outlet, date and byline read off a story's own text, for citing it later.

Scrapes rarely carry clean metadata, so each field has an ordered list of clues and the first one
that fires wins: for the date an explicit header, then a labelled line ("Posted <date>",
"Published: …", "date 2024-01-30"), the date in the page's own URL, an "Updated" line, a date
standing on its own line, a dateline, then the first full date anywhere in the story (captions
included); a date found in the text that lies in the future or far from the URL's own date is
passed over for the URL's. Outlets come, in order, from the story's own credit (a byline "By X,
The Associated Press", a wire dateline "LONDON (Reuters) —", a "Source: ..." line, whose URL names
the outlet by its domain), the page's masthead, a well-known outlet the page's own chrome names (a
copyright line, a player or newsletter label), and last from the story crediting its own staff
("NPR’s Brian Mann") or giving its own addresses ("plus.npr.org") at least twice. Only general
signals: the one list here, `KNOWN_OUTLETS`, holds major wire services and national outlets, never
a corpus's own. A credit like "The Associated Press contributed to this report." is never read as
the outlet. A dateline ("LONDON, March 3, 2021 (Reuters) —", "NAIROBI (AP) —", "Tainan, Taiwan
CNN —", "BEIJING —") gives the place, and may give the date and the outlet; it also marks where a
story's text begins.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from functools import cache
from urllib.parse import urlsplit

from courlan import extract_domain

from rag.core.datewords import MONTH_NUMBERS, MONTH_WORDS

_MONTH = rf"(?P<month>{MONTH_WORDS})\.?"
_DATE_PATTERNS = (
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})(?!\d)"),  # "2024-01-30T10:00Z" too
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})\b"),
)
_LABELLED_DATE = re.compile(
    r"(?:(?:posted|published)(?: on)?:?|date:?(?=\s+(?:\d|[a-z]{3,9}\.?\s+\d)))\s+(?P<rest>.+)", re.IGNORECASE
)
_UPDATED_DATE = re.compile(r"(?:last )?updated(?: on)?:?\s+(?P<rest>.+)", re.IGNORECASE)
_WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|rsday|urday)?\.?,?\s+"
_CLOCK = r"\d{1,2}:\d{2}\s*(?:[AaPp]\.?[Mm]\.?)?(?:\s+[A-Z]{2,4})?,?\s+"
_DATE_LEAD = rf"(?:{_CLOCK})?(?:{_WEEKDAY})?"
_TIME_TAIL = r"(?:,?\s*(?:at\s+)?\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\.?(?:\s*[A-Z]{2,4})?)?\.?"

OUTLET_ALIASES = {
    "ap": "The Associated Press",
    "associated press": "The Associated Press",
    "the associated press": "The Associated Press",
    "agence france-presse": "AFP",
    "new york times": "The New York Times",
    "washington post": "The Washington Post",
    "wall street journal": "The Wall Street Journal",
    "ft": "Financial Times",
}
KNOWN_OUTLETS = (
    "The Associated Press", "Associated Press", "Reuters", "AFP", "Agence France-Presse", "NPR",
    "NBC News", "CBS News", "ABC News", "CNN", "CNBC", "MSNBC", "Fox News", "BBC News", "BBC",
    "The New York Times", "New York Times", "Financial Times", "The Washington Post",
    "Washington Post", "The Wall Street Journal", "Wall Street Journal", "Bloomberg",
    "The Guardian", "Politico", "Axios", "Al Jazeera", "PBS", "USA Today", "Los Angeles Times",
    "The Economist", "Deutsche Welle", "South China Morning Post", "Kyodo News", "Xinhua",
    "Press Association", "United Press International", "ANSA", "EFE", "dpa", "Yonhap",
)  # fmt: skip
_OUTLET_ALT = "|".join(re.escape(name) for name in KNOWN_OUTLETS)
_OUTLET_IN_TEXT = re.compile(rf"\b(?:{_OUTLET_ALT})\b")
_OUTLET_LINE = re.compile(rf"(?:{_OUTLET_ALT}|AP)\.?", re.IGNORECASE)
_DATE_TEXT = (
    r"[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}\s+[A-Z][a-z]{2,8}\.?,?\s+\d{4}|\d{4}-\d{2}-\d{2}"
)
# PLACE in capitals, then optionally ", Region", ", <date>", "(Outlet)", then a dash and the text.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z'’.-]+(?:\s+[A-Z][A-Z'’.-]+)*)"
    r"(?:,\s+[A-Z][a-z]{1,12}\.?(?:\s+[A-Z][a-z]+\.?)?)?"
    rf"(?:,\s+(?P<date>{_DATE_TEXT}))?"
    r"(?:\s*\((?P<outlet>[A-Z][^()]{0,58})\))?"
    r"(?:\s*[—–]\s*|\s+--?\s+)(?=\S)"  # a hyphen only with spaces: not "U.S.-China", "COVID-19"
)
# A CNN-style dateline: a place in title case, then a well-known outlet without brackets.
_NAMED_DATELINE = re.compile(
    rf"(?P<place>[A-Z][\w'’.-]+(?:,? [A-Z][\w'’.-]+){{0,4}})\s+(?P<outlet>{_OUTLET_ALT})"
    r"(?: [A-Z][a-z]+)?\s*[—–]\s*"
)
# "Source: https://…", "URL: …", "Originally published at …" (a bare address counts only where
# a saved page starts with it: in a story's text it is a link to elsewhere).
_SOURCE_URL = re.compile(
    r"(?:(?:source|url|link|canonical|permalink|originally published (?:at|on))\s*:?\s*)"
    r"(?P<url>(?:https?://|www\.)\S+)",
    re.IGNORECASE,
)
_BARE_URL = re.compile(r"(?P<url>https?://\S+)")
_CREDIT_LINE = re.compile(
    r"(?:source|via|courtesy of|(?:this (?:story|article) )?(?:was )?(?:first|originally) "
    r"(?:published|appeared) (?:by|in|on))\s*:?\s+(?P<outlet>[A-Z][\w&.'’-]*(?: [\w&.'’-]+){0,4})\.?",
    re.IGNORECASE,
)
# A story crediting its own staff ("NPR’s Brian Mann", "NBC News’ Janis Mackey Frayer") or giving
# its own addresses ("plus.npr.org", "desk@npr.org").
_STAFF_CREDIT = re.compile(rf"\b(?P<outlet>{_OUTLET_ALT})(?:['’]s|(?<=s)['’])\s+[A-Z][\w'’-]+\s+[A-Z]")
_ADDRESS = re.compile(r"(?<![\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,}(?![\w-])")
_URL_DATE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})[/-](?P<mnum>\d{1,2})[/-](?P<day>\d{1,2})(?!\d)")
_CONTRIBUTED = re.compile(r"contributed (?:to this report|reporting)", re.IGNORECASE)
_NOT_AUTHORSHIP = re.compile(
    r"contributed to this report|contributed reporting|©|copyright", re.IGNORECASE
)
_NAME = r"[A-Z][\w.'’-]*"
_BYLINE = re.compile(r"By\s+(?P<names>.+)")
_OUTLET_TAIL = re.compile(
    rf"^(?P<names>.+?)(?:,|\s+[|–—-])\s+(?P<outlet>{_OUTLET_ALT}|The [A-Z][\w ]+"
    r"|[A-Z][\w]*(?: [A-Z][\w]*)* (?:News|Times|Post|Press|Journal|Herald|Tribune|Guardian))$"
)
_NAME_WORDS = {"and", "de", "van", "von", "der", "da", "del", "la", "le", "bin", "al"}
TITLE_WORDS = 12
_NAME_LINE_WORDS = (2, 7)
_SELF_CREDITS = 2
_LABELLED_MAX_WORDS = 12
_CANONICAL_NAMES = frozenset(OUTLET_ALIASES.get(name.lower(), name) for name in KNOWN_OUTLETS)


def canonical_outlet(name: str) -> str:
    """Map "AP" and "Associated Press" to "The Associated Press", a bare domain ("cnn.com") to the
    outlet it belongs to; other names unchanged."""
    name = " ".join(name.split())
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", name) and not name.isupper():
        return outlet_from_url(name)
    return OUTLET_ALIASES.get(name.lower(), name)


def outlet_from_url(url: str) -> str:
    """The outlet a URL belongs to: a well-known outlet when a label of its host spells that name
    ("nbcnews.com", "nytimes.com", "apnews.com", "ft.com", "abcnews.go.com"), else the registrable
    domain ("example.org", "theweek.co.uk"), found by courlan with the public-suffix list it ships."""
    address = url if "//" in url else f"https://{url}"
    host = (urlsplit(address).hostname or "").rstrip(".")
    domain = extract_domain(address) or host.removeprefix("www.")
    labels = host.removesuffix(domain).split(".")[:-1] + domain.split(".")[:1]
    return next((canonical_outlet(name) for name in KNOWN_OUTLETS if set(labels) & _spellings(name)), domain)


def known_outlet(url: str) -> str:
    """The well-known outlet a URL or host belongs to, or "" for any other site."""
    outlet = outlet_from_url(url)
    return outlet if outlet in _CANONICAL_NAMES else ""


@cache
def _spellings(name: str) -> frozenset[str]:
    """How a domain spells an outlet: whole ("foxnews"), without "the", and for names of several
    words by initials ("wsj") or initials and last word ("nytimes", "latimes"); each also with
    "news" ("apnews")."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    if words[:1] == ["the"] and len(words) > 1:
        words = words[1:]
    forms = {"".join(words)}
    if len(words) > 1:
        initials = "".join(w[0] for w in words)
        forms |= {initials, initials[:-1] + words[-1]}
    return frozenset(forms | {f"{form}news" for form in forms})


def url_date(url: str) -> str:
    """The date a URL's path carries ("/2022/11/03/", "-2024-03-05/"), as ISO, or ""."""
    match = _URL_DATE.search(urlsplit(url if "//" in url else f"//{url}").path)
    return _iso(match) if match else ""


def source_url(lines: list[str]) -> str:
    """The page's own address: a "Source: https://…" or "URL: …" line, or a first line that is
    nothing but an address."""
    first = _BARE_URL.fullmatch(lines[0].strip()) if lines else None
    if first:
        return first["url"]
    for line in lines:
        match = _SOURCE_URL.fullmatch(line.strip())
        if match:
            return match["url"]
    return ""


def is_outlet_name(line: str) -> bool:
    """A line that is only a well-known outlet's name ("Associated Press", "USA TODAY"): a credit."""
    return bool(_OUTLET_LINE.fullmatch(line.strip()))


def chrome_outlet(chrome: list[str]) -> str:
    """A well-known outlet named in the page's own chrome ("© 2024 Reuters", a player or newsletter
    label): sites name themselves there. Photo credits are captions, not chrome, and never count."""
    for line in chrome:
        match = _OUTLET_IN_TEXT.search(line)
        if match and not _CONTRIBUTED.search(line):
            return canonical_outlet(match.group())
    return ""


def parse_date(text: str) -> str:
    """The first full date in `text` as ISO "YYYY-MM-DD", or "" (a month and year is not enough)."""
    return next(iter(dates_in(text)), "")


def dates_in(text: str) -> list[str]:
    """Every full date in `text`, as ISO, in the order they occur (impossible dates left out)."""
    found = [(m.start(), m) for pattern in _DATE_PATTERNS for m in pattern.finditer(text)]
    return [iso for _, match in sorted(found, key=lambda item: item[0]) if (iso := _iso(match))]


def _iso(match: re.Match[str]) -> str:
    parts = match.groupdict()
    month = int(parts["mnum"]) if parts.get("mnum") else MONTH_NUMBERS[parts["month"][:3].lower()]
    try:
        return date(int(parts["year"]), month, int(parts["day"])).isoformat()
    except ValueError:
        return ""


def labelled_date(lines: list[str], url: str = "") -> str:
    """Date from "Posted/Published/Date …" lines, then the URL's own date, then "Updated …", then a
    date-only line; a date in the future is no publish date and is passed over."""
    found = (
        *(_label_date(line, _LABELLED_DATE) for line in lines),
        url_date(url),
        *(_label_date(line, _UPDATED_DATE) for line in lines),
        *(parse_date(line) for line in lines if is_date_line(line)),
    )
    return next((iso for iso in found if is_past(iso)), "")


def is_labelled_date(line: str) -> bool:
    """A short line that labels a date: "Published: 2022-11-03", "Updated 5:32 PM ET Nov. 4, 2022"."""
    return bool(_label_date(line, _LABELLED_DATE) or _label_date(line, _UPDATED_DATE))


def _label_date(line: str, pattern: re.Pattern[str]) -> str:
    match = pattern.fullmatch(line.strip())
    if not match or len(match["rest"].split()) > _LABELLED_MAX_WORDS:
        return ""
    return parse_date(match["rest"])


def is_past(iso: str) -> bool:
    """An ISO date no later than today: a page cannot have been published after it was saved."""
    return bool(iso) and iso <= date.today().isoformat()


def is_date_line(line: str) -> bool:
    """A line that is only a date, perhaps with a weekday or a time before it or a time after it:
    "December 12, 2025", "Thursday, March 30, 2023", "5:56 p.m. ET April 18, 2019"."""
    text = line.strip()
    return any(re.fullmatch(_DATE_LEAD + p.pattern + _TIME_TAIL, text) for p in _DATE_PATTERNS)


def take_byline(lines: list[str]) -> tuple[str, str, list[str]]:
    """(byline, outlet named in it, lines without the byline or its sign-off repeat)."""
    for i, line in enumerate(lines):
        parsed = parse_byline(line)
        if parsed:
            names, outlet = parsed
            rest = lines[:i] + lines[i + 1 :]
            return names, outlet, [x for x in rest if not _is_signoff(x, names)]
    return "", "", lines


def parse_byline(line: str) -> tuple[str, str] | None:
    """Split "By Ken Moritsugu, The Associated Press" into ("Ken Moritsugu", "The Associated Press")."""
    match = _BYLINE.fullmatch(line.strip())
    if not match:
        return None
    names, outlet = match["names"].strip(), ""
    tail = _OUTLET_TAIL.match(names)
    if tail and _looks_like_names(tail["names"]):
        names, outlet = tail["names"].strip(), canonical_outlet(tail["outlet"])
    return (names, outlet) if _looks_like_names(names) else None


def is_name_line(line: str) -> bool:
    """A line of person names and nothing else ("Jane Roe", "Ana Ruiz and Li Wei"): a byline
    printed without "By", the names on one line and the affiliation on the next."""
    text = line.strip()
    words = text.split()
    return (
        _NAME_LINE_WORDS[0] <= len(words) <= _NAME_LINE_WORDS[1]
        and "," not in text
        and _looks_like_names(text)
        and not is_outlet_name(text)
        and not text.isupper()
    )


def _looks_like_names(text: str) -> bool:
    words = text.replace(",", " ").split()
    if not 1 <= len(words) <= 16:
        return False
    return all(re.fullmatch(_NAME, w) or w.lower() in _NAME_WORDS for w in words)


def _is_signoff(line: str, names: str) -> bool:
    """A repeat of the byline at the end: "Ken Moritsugu, The Associated Press"."""
    text = line.strip()
    if text in (names, f"By {names}"):
        return True
    tail = _OUTLET_TAIL.match(text)
    return tail is not None and tail["names"].strip() == names


def read_dateline(line: str) -> tuple[str, str] | None:
    """(ISO date or "", outlet or "") from "LONDON, March 3, 2021 (Reuters) — …" or "Tainan CNN —"."""
    named = _NAMED_DATELINE.match(line.strip())
    if named:
        return "", canonical_outlet(named["outlet"])
    match = _DATELINE.match(line.strip())
    if not match or len(match["place"].replace(".", "")) < 2:
        return None
    outlet, when = match["outlet"] or "", match["date"] or ""
    if parse_date(outlet):  # "KNOXVILLE, Tenn. (June 21, 2022) –": the brackets hold the date
        outlet, when = "", outlet
    if outlet and not _looks_like_outlet(outlet):
        return None
    return parse_date(when), canonical_outlet(outlet) if outlet else ""


def _looks_like_outlet(text: str) -> bool:
    return 1 <= len(text.split()) <= 6 and not re.search(r"[.!?,;:]$", text)


def is_story_lead(line: str) -> bool:
    """The line under a headline that opens a story: byline, "Published <date>", date, dateline."""
    text = line.strip()
    return bool(
        parse_byline(text)
        or is_labelled_date(text)
        or is_date_line(text)
        or read_dateline(text)
    )


def dateline_date(body: list[str], look: int = 3) -> str:
    """The date a dateline in the first few paragraphs gives, or ""."""
    return next((d[0] for d in map(read_dateline, body[:look]) if d and d[0]), "")


def credited_outlet(body: list[str], raw: list[str], look: int = 3) -> str:
    """The outlet a story credits itself to: its dateline "(Outlet)", else a "Source: X" line or
    the page's own URL."""
    for found in map(read_dateline, body[:look]):
        if found and found[1]:
            return found[1]
    url = source_url(raw)
    if url:
        return outlet_from_url(url)
    for line in raw:
        match = _CREDIT_LINE.fullmatch(line.strip())
        if match and _looks_like_outlet(match["outlet"]):
            return canonical_outlet(match["outlet"].rstrip("."))
    return ""


def credits_on(lines: list[str]) -> list[str]:
    """Every outlet a dateline or byline among `lines` names (to tell a publisher from an aggregator)."""
    found = [read_dateline(line) for line in lines]
    named = [f[1] for f in found if f and f[1]]
    return named + [b[1] for b in map(parse_byline, lines) if b and b[1]]


def find_outlet(
    body: list[str], raw: list[str], page_outlet: str = "", chrome: list[str] | None = None
) -> str:
    """Outlet from the story's own credit, the page's publisher, its chrome, or its self-references."""
    own = credited_outlet(body, raw) or page_outlet or chrome_outlet(chrome or [])
    return own or self_credited_outlet(raw)


def self_credited_outlet(lines: list[str]) -> str:
    """The well-known outlet a story names as its own at least twice and more often than any other:
    by crediting its staff ("NPR’s Brian Mann") or by giving its addresses ("plus.npr.org"). Sentences
    that credit contributors or hold a copyright notice do not count."""
    counts: Counter[str] = Counter()
    for line in lines:
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            if not _NOT_AUTHORSHIP.search(sentence):
                counts.update(canonical_outlet(m["outlet"]) for m in _STAFF_CREDIT.finditer(sentence))
                counts.update(filter(None, map(known_outlet, _ADDRESS.findall(sentence))))
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < _SELF_CREDITS:
        return ""
    return ranked[0][0] if len(ranked) == 1 or ranked[1][1] < ranked[0][1] else ""


def fallback_title(paragraphs: list[str], max_words: int = TITLE_WORDS) -> str:
    """The first sentence, cut to `max_words` words with "…", for stories printed without one."""
    if not paragraphs:
        return ""
    sentence = re.split(r"(?<=[a-z0-9][.!?])\s+(?=[A-Z“\"])", paragraphs[0], maxsplit=1)[0]
    words = sentence.split()
    if len(words) <= max_words:
        return sentence
    return " ".join(words[:max_words]).rstrip(",;:—–-") + "…"
