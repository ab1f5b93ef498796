"""Site chrome: the lines a scrape picks up around a story that are not part of it.

Three kinds, all recognised by shape rather than by site:
  * chrome lines ("Advertisement", "Posted January 30, 2024 6:36 am.", "2:50", "11h ago") that are
    dropped one by one;
  * teaser blocks ("Top Stories", "Most Watched Today", "Free links to read more on this topic:")
    whose heading and the headline/summary/timestamp items under it are dropped together;
  * end markers ("Leave a Reply") after which only comment forms follow.
"""

from __future__ import annotations

import re

_DATEISH = (
    r"[A-Za-z]{3,9}\.? \d{1,2},? \d{4}.*|\d{4}-\d{2}-\d{2}.*|\d{1,2} [A-Za-z]{3,9}\.? \d{4}.*"
)
_AGO = r"\d+\s*(?:s|m|h|d|w|min|mins|minutes?|hrs?|hours?|days?|weeks?)\s+ago"

_CHROME_PATTERNS = [
    r"connect with us",
    r"advertisement|advert|sponsored( content)?|ad",
    r"continue reading|read more|show more|load more|see more",
    r"published|on|updated:?|posted:?",
    rf"(?:posted|published|updated|last updated)(?: on)?:? (?:{_DATEISH})",
    r"\d{1,2}:\d{2}(?::\d{2})?",
    _AGO,
    r"just now|happening now|breaking( news)?|live",
    r"more videos|trending( now)?|watch( now| live)?",
    r"submit a correction|accessibility feedback|report an error|report a typo",
    r"leave a (?:reply|comment)|comments?|\d+ comments?",
    r"your email address will not be published.*",
    r"(?:hide|toggle) caption|enlarge this image|image|photo|video",
    r"new video loaded:.*",
    r"close .{0,120} video",
    r"fox news flash top headlines.*",
    r"view our accessibility guide\.?",
    r"share(?: this (?:article|story))?|print|email|facebook|twitter|x|linkedin|whatsapp|copy link",
    r"(?:sign up|subscribe)(?: now| here| for (?:our|the) newsletters?)?\.?",
    r"follow .{1,60} on (?:bluesky|x|twitter|facebook|instagram|threads|linkedin)\b.*",
    r"skip to (?:main )?content|back to top|menu|search",
    r"(?:news|world|politics|business|opinion|sports?|health|tech|technology|science)",
    r"(?:entertainment|lifestyle|u\.s\.|us|local|national|videos?|podcasts?|home|latest)",
]
_CHROME = re.compile("|".join(f"(?:{p})" for p in _CHROME_PATTERNS), re.IGNORECASE)

_TEASER_HEADINGS = [
    r"top stories|top news|latest news|more (?:news|stories)|most (?:read|popular|viewed|shared)",
    r"most watched(?: today)?|more videos|trending(?: now| stories)?|editor'?s picks",
    r"related(?: stories| articles| coverage| content)?:?|recommended(?: for you)?",
    r"you (?:may|might) also like|what to read next|more from .{1,40}|in case you missed it",
    r"(?:free )?links to read more(?: on this topic)?:?|read more(?: on this topic)?:",
]
_TEASER_HEADING = re.compile("|".join(f"(?:{p})" for p in _TEASER_HEADINGS), re.IGNORECASE)
_END_MARKER = re.compile(
    r"leave a (?:reply|comment)|\d* ?comments?|join the conversation", re.IGNORECASE
)
_AGO_LINE = re.compile(_AGO, re.IGNORECASE)
_TEASER_ITEM_WINDOW = 6
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?$")


def is_chrome(line: str) -> bool:
    """A whole line that is navigation, an ad slot, a timestamp or a widget label."""
    return bool(_CHROME.fullmatch(line.strip()))


def is_teaser_heading(line: str) -> bool:
    return bool(_TEASER_HEADING.fullmatch(line.strip()))


def drop_chrome(lines: list[str]) -> list[str]:
    """Remove teaser blocks, everything after an end marker, and chrome lines."""
    return [line for line in drop_blocks(lines) if not is_chrome(line)]


def drop_blocks(lines: list[str]) -> list[str]:
    """Remove teaser blocks, and the rest of the story after an end marker that follows text."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if _END_MARKER.fullmatch(lines[i].strip()) and any(map(_is_sentence, kept)):
            break
        if is_teaser_heading(lines[i]):
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
        elif is_teaser_heading(lines[i]) or is_chrome(lines[i]) or _headline_like(lines[i]):
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


def _is_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line.strip())) and len(line.split()) > 3


def _headline_like(line: str) -> bool:
    """A teaser headline: short and not ending like a sentence."""
    text = line.strip()
    return len(text.split()) <= 20 and not _SENTENCE_END.search(text)
