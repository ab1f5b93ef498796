"""Site chrome: the lines a scrape picks up around a story that are not part of it.

Four kinds, all recognised by shape or by repetition, never by site or programme name:
  * chrome lines ("Advertisement", "Published: 2022-11-03", "2:50", "11h ago", a bare URL) that are
    dropped one by one; among them a widget's text run on from its buttons, which opens with a
    lowercase word and is no sentence (a player's "play <title> Video", "hide caption": text
    never starts lowercase), and a short link that opens with an interface verb ("Submit a
    correction", "View our guide.");
  * widget text, told by what surrounds it rather than by its words: a short line printed again
    inside a chrome line (the player's title under the player), and a blurb that opens with a
    chrome line's words and is cut off mid-sentence ("... Check out what's clicking on");
  * teaser blocks whose heading and the headline/summary/timestamp items under it are dropped
    together; a heading is a known widget title ("Top Stories", "Most Read", "Related"), a short
    lead-in ending in a colon that offers links ("More on this:"), or any short title-case line
    directly over an item closed by a "4m ago" stamp;
  * end markers ("Leave a Reply", "Comments") after which only comment forms follow, once a
    paragraph of the story has been read (a "2 comments" count link above it is chrome).
Chrome lines include a page's masthead and footer: navigation bars ("Home / News / Region",
"THE DAILY STAR  Menu  Search  Sign in"), share bars, story separators ("* * *", rules),
copyright and newsletter lines, cookie notices and an aggregator's "provided by" credit.
"""

from __future__ import annotations

import re

from ingest.boilerplate import line_key
from ingest.captions import is_credit_only
from ingest.metadata import is_labelled_date

_DATEISH = (
    r"[A-Za-z]{3,9}\.? \d{1,2},? \d{4}.*|\d{4}-\d{2}-\d{2}.*|\d{1,2} [A-Za-z]{3,9}\.? \d{4}.*"
)
_AGO = r"\d+\s*(?:s|m|h|d|w|min|mins|minutes?|hrs?|hours?|days?|weeks?)\s+ago"

_CHROME_PATTERNS = [
    r"advertisement|advert|sponsored( content)?|ad",
    r"continue reading|read more|show more|load more|see more|more headlines",
    r"published|on|updated:?|posted:?",
    r"\d{1,2}:\d{2}(?::\d{2})?",
    _AGO,
    r"just now|happening now|breaking( news)?|live",
    r"more videos|trending( now)?|watch( now| live)?",
    r"leave a (?:reply|comment)|comments?|\d+ comments?",
    r"your email address will not be published.*",
    r"image|photo|video",
    r"share(?: this (?:article|story))?|print|email|facebook|twitter|x|linkedin|whatsapp|copy link",
    r"(?:sign up|subscribe)(?: now| here| for (?:our|the) newsletters?)?\.?",
    r"follow .{1,60} on (?:bluesky|x|twitter|facebook|instagram|threads|linkedin)\b.*",
    r"skip to (?:main )?content|back to top|menu|search",
    r"(?:(?:source|url|link|permalink|canonical)\s*:?\s*)?(?:https?://|www\.)\S+",  # a bare address
    r"share (?:this|on)\b[^.!?]{0,80}",
    r"(?:[-_=*~•·—–#+]\s*){2,}",  # rule lines and "* * *" separators
    r"(?:©|\(c\)|copyright)\s*©?\s*\d{4}\b[^.]{0,80}(?:\.\s*all rights reserved\.?)?",
    r"all rights reserved\.?",
    r"(?:sign up|subscribe) (?:for|to) .{0,60}(?:newsletters?|briefing|alerts?|e-?mails?|digest)\.?",
    r"(?:we|this (?:site|website)) uses? cookies.{0,200}|(?:accept|reject|manage)(?: all)? cookies",
    r"cookie (?:policy|settings|preferences)",
    r"(?:news|world|politics|business|opinion|sports?|health|tech|technology|science)",
    r"(?:entertainment|lifestyle|u\.s\.|us|local|national|videos?|podcasts?|home|latest)",
]
# An aggregator saying its stories are other outlets': "Stories on X are provided by our partners."
_AGGREGATOR_NOTE = re.compile(
    r"(?:stories|articles|content|news) (?:on|from|at) .{1,40} (?:are|is) (?:provided|supplied"
    r"|syndicated|republished) (?:by|from) .{0,60}|(?:stories|articles|news) from (?:our )?partners?"
    r"(?: outlets| sites| publishers)?(?: around the web)?\.?",
    re.IGNORECASE,
)
_CHROME_PATTERNS.append(_AGGREGATOR_NOTE.pattern)
_CHROME = re.compile("|".join(f"(?:{p})" for p in _CHROME_PATTERNS), re.IGNORECASE)

_TEASER_HEADINGS = [
    r"top stories|top news|latest news|more (?:news|stories)|most (?:read|popular|viewed|shared|watched)",
    r"more videos|trending(?: now| stories)?|editor'?s picks",
    r"related(?: stories| articles| coverage| content)?:?|recommended(?: for you)?",
    r"you (?:may|might) also like|what to read next|more from .{1,40}|in case you missed it",
    r"(?=.{0,60}\b(?:read\w*|more|related|links?|see also)\b)[^.!?]{3,60}:",  # "More on this topic:"
]
_TEASER_HEADING = re.compile("|".join(f"(?:{p})" for p in _TEASER_HEADINGS), re.IGNORECASE)
_END_MARKER = re.compile(r"leave a (?:reply|comment)|comments?|join the conversation", re.IGNORECASE)
_AGO_LINE = re.compile(_AGO, re.IGNORECASE)
_TEASER_ITEM_WINDOW = 6
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?$")


_NAV_SPLIT = re.compile(r"\s+[|·•/]\s+")
_NAV_WORDS = re.compile(
    r"\b(?:menu|search|sign in|log ?in|sign up|subscribe|register|my account|newsletters?)\b",
    re.IGNORECASE,
)
_NAV_MAX_WORDS = 10
_WIDGET_MAX_WORDS = 16
_CUT_OFF = re.compile(r".+[.!?][\"'”’)]?\s+[A-Z][^.!?]*\s[a-z][\w'’-]*")
_TEASER_SHARED_WORDS = 4
_HEADING_MAX_WORDS = 4
_PARAGRAPH_MIN_WORDS = 8
LINK_RUN = 6
_LINK_MAX_WORDS = 5
# A widget's text run on from its buttons: opens with a lowercase word ("close", "play", "hide").
_RUN_ON_LABEL = re.compile(r"[a-z]+\b(?!['’])[^.!?]*")
_RUN_ON_MAX_WORDS = 10
# A link or button that opens with an interface verb: "Submit a correction", "View our guide.".
_UI_VERBS = re.compile(
    r"(?:view|submit|report|subscribe|sign|share|follow|read|watch|listen|download|click|tap|see|continue"
    r"|load|show|skip|jump|print|email|join|leave|accept|manage|enlarge)\b[^!?:]*",
    re.IGNORECASE,
)
_UI_MAX_WORDS = 4


def is_chrome(line: str) -> bool:
    """A whole line that is navigation, an ad slot, a timestamp, a labelled date or a widget label."""
    text = line.strip()
    return bool(_CHROME.fullmatch(text)) or is_nav_bar(text) or is_labelled_date(text) or is_widget_label(text)


def is_widget_label(line: str) -> bool:
    """Interface text: a run-on widget label ("close <title> Video", "hide caption"), which opens
    with a lowercase word and ends no sentence, or a short link opening with an interface verb."""
    text = line.strip()
    words = text.split()
    run_on = len(words) <= _RUN_ON_MAX_WORDS and bool(_RUN_ON_LABEL.fullmatch(text))
    return run_on or (len(words) <= _UI_MAX_WORDS and bool(_UI_VERBS.fullmatch(text)))


def is_aggregator_note(line: str) -> bool:
    """A line saying the page republishes other outlets' stories."""
    return bool(_AGGREGATOR_NOTE.fullmatch(line.strip()))


def is_nav_bar(line: str) -> bool:
    """A menu: "Local | Sports | Weather", "Home / News / Region", "POST  Menu  Search  Sign in"."""
    text = line.strip()
    if _SENTENCE_END.search(text) or is_credit_only(text) or text.startswith("|"):
        return False  # a "| 1 | Kyle Busch | 5040 |" row is a table's, not a menu's
    parts = _NAV_SPLIT.split(text)
    if len(parts) >= 3 and all(1 <= len(part.split()) <= 3 for part in parts):
        return True
    return len(text.split()) <= _NAV_MAX_WORDS and len(_NAV_WORDS.findall(text)) >= 2


def is_teaser_heading(lines: list[str], i: int) -> bool:
    """`lines[i]` heads a teaser list: a known widget title, or a short title-case line over a
    headline (or a chrome line such as a clip's "2:50") that starts an item closed by "4m ago"."""
    if _TEASER_HEADING.fullmatch(lines[i].strip()):
        return True
    follows = lines[i + 1] if i + 1 < len(lines) else ""
    return (
        _is_short_heading(lines[i])
        and (is_chrome(follows) or _headline_like(follows))
        and _timestamped_item_end(lines, i + 1) is not None
    )


def _is_short_heading(line: str) -> bool:
    words = line.split()
    return (
        1 <= len(words) <= _HEADING_MAX_WORDS
        and not _SENTENCE_END.search(line.strip())
        and all(w[:1].isupper() or w[:1].isdigit() for w in words)
    )


def split_chrome(lines: list[str]) -> tuple[list[str], list[str]]:
    """(story lines, chrome lines): chrome lines, and the widget text around them, go to the
    second list, order kept. Widget text is told by what surrounds it, not by its words: a short
    line printed again inside a chrome line (a player's title under the player), and a blurb that
    opens with the same words as a chrome line and stops mid-sentence (the player's teaser)."""
    chrome = [line for line in lines if is_chrome(line)]
    kept: list[str] = []
    for line in lines:
        text = line.strip()
        if is_chrome(text):
            continue
        if any(_echoes(text, c) or _teases(text, c) for c in chrome):
            chrome.append(line)
            continue
        kept.append(line)
    return kept, chrome


def drop_link_lists(lines: list[str]) -> list[str]:
    """`lines` without runs of `LINK_RUN` or more short lines that end no sentence: a menu, a tag
    list, a box of links to other pages (what link density shows in HTML, in a page saved as text)."""
    kept: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if line and _is_link_sized(line):
            run.append(line)
            continue
        kept += run if len(run) < LINK_RUN else []
        run = []
        if line:
            kept.append(line)
    return kept


def _is_link_sized(line: str) -> bool:
    return len(line.split()) <= _LINK_MAX_WORDS and not _SENTENCE_END.search(line.strip())


def is_cut_off(line: str) -> bool:
    """Text that stops mid-sentence: a full sentence, then words that end without punctuation on
    a lowercase word ("Top headlines are here. Check out what's clicking on")."""
    return bool(_CUT_OFF.fullmatch(line.strip()))


def _teases(line: str, chrome_line: str) -> bool:
    """A cut-off blurb whose first words are those of the widget title inside `chrome_line`."""
    head = line_key(" ".join(line.split()[:_TEASER_SHARED_WORDS]))
    return len(line.split()) > _TEASER_SHARED_WORDS and head in line_key(chrome_line) and is_cut_off(line)


def _is_widget_sized(line: str) -> bool:
    """Short, and not a sentence: the size of a label, a title or a link."""
    text = line.strip()
    return (
        3 <= len(text.split()) <= _WIDGET_MAX_WORDS
        and not _SENTENCE_END.search(text)
        and not is_credit_only(text)  # a photo's credit printed twice still marks its caption
    )


def _echoes(line: str, chrome_line: str) -> bool:
    """`line` is a widget-sized line printed again inside a longer chrome line (a player)."""
    if not _is_widget_sized(line):
        return False
    key, other = line_key(line), line_key(chrome_line)
    return len(other) > len(key) and key in other


def drop_blocks(lines: list[str]) -> list[str]:
    """Remove teaser blocks, and the rest of the story after an end marker that follows text."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if _END_MARKER.fullmatch(lines[i].strip()) and any(map(_is_paragraph, kept)):
            break
        if is_teaser_heading(lines, i):
            i = teaser_block_end(lines, i)
            continue
        kept.append(lines[i])
        i += 1
    return kept


def teaser_block_end(lines: list[str], start: int) -> int:
    """Index just past the teaser list whose heading is `lines[start]`."""
    i = start + 1
    while i < len(lines):
        item_end = _timestamped_item_end(lines, i)
        if item_end is not None:
            i = item_end
        elif is_teaser_heading(lines, i) or is_chrome(lines[i]) or _headline_like(lines[i]):
            i += 1
        else:
            break
    return i


def _timestamped_item_end(lines: list[str], start: int) -> int | None:
    """A teaser item is a few lines (headline, summary) closed by a "4m ago" style line."""
    window = lines[start : start + _TEASER_ITEM_WINDOW]
    for offset, line in enumerate(window):
        if _AGO_LINE.fullmatch(line.strip()):
            return start + offset + 1
    return None


def _is_paragraph(line: str) -> bool:
    """Story text, not a headline that ends in "!" or "?": a sentence of more than eight words."""
    return bool(_SENTENCE_END.search(line.strip())) and len(line.split()) > _PARAGRAPH_MIN_WORDS


def _headline_like(line: str) -> bool:
    """A teaser headline: short and not ending like a sentence."""
    text = line.strip()
    return len(text.split()) <= 20 and not _SENTENCE_END.search(text)
