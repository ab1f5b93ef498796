"""Cut a page into stories, and read the few header conventions a page may open with.

Aggregator pages glue unrelated stories together, each introduced by the same template:
a section label, the headline, "Published", "on", the headline again. The headline line before a
"Published"/"on" pair starts a new story; whatever precedes the first one is page chrome or, if it
has real text, a story of its own. Pages without the template are one story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PUBLISHED = re.compile(r"published(?: on)?:?", re.IGNORECASE)
_ON = re.compile(r"on:?", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"date:?\s+(?P<date>\d{4}-\d{2}-\d{2})\s+(?P<title>.+)", re.IGNORECASE)
_FRONT_MATTER_KEY = re.compile(r"(?P<key>[A-Za-z_]+):\s*(?P<value>.*)")
_HEADER_KEYS = {
    "title": "title", "date": "date", "author": "byline", "byline": "byline",
    "outlet": "outlet", "publisher": "outlet", "site": "outlet", "source": "outlet",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?$")


@dataclass
class Story:
    """One story's raw lines, with its headline when the page template gave one."""

    lines: list[str]
    title: str = ""


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-style front matter ("---", "title: …", "---") read off the top of `text`."""
    lines = text.lstrip("\ufeff\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i, x in enumerate(lines[1:], 1) if x.strip() == "---"), None)
    if end is None:
        return {}, text
    return _front_matter(lines[1:end]), "\n".join(lines[end + 1 :])


def read_date_prefix(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A first line like "date 2024-01-30 <headline>" -> {"date", "title"} and the other lines."""
    match = _DATE_PREFIX.fullmatch(lines[0].strip()) if lines else None
    if match:
        return {"date": match["date"], "title": match["title"].strip()}, lines[1:]
    return {}, lines


def _front_matter(lines: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in lines:
        match = _FRONT_MATTER_KEY.fullmatch(line.strip())
        if match and match["key"].lower() in _HEADER_KEYS:
            meta.setdefault(_HEADER_KEYS[match["key"].lower()], match["value"].strip("'\" "))
    return meta


def split_stories(lines: list[str]) -> list[Story]:
    """One `Story` per "headline / Published / on" template, plus any text before the first."""
    starts = [i for i in range(1, len(lines)) if _is_story_start(lines, i)]
    if not starts:
        return [Story(lines)]
    stories = [Story(lines[: starts[0]])] if starts[0] > 0 else []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        stories.append(Story(lines[start + 1 : end], title=lines[start]))
    return stories


def _is_story_start(lines: list[str], i: int) -> bool:
    """`lines[i]` is a headline followed by "Published" and "on" (or "Published on")."""
    if i + 1 >= len(lines) or not _PUBLISHED.fullmatch(lines[i + 1].strip()):
        return False
    on_line = "on" in lines[i + 1].lower().split() or (
        i + 2 < len(lines) and bool(_ON.fullmatch(lines[i + 2].strip()))
    )
    return on_line and is_headline(lines[i])


def is_headline(line: str) -> bool:
    """Short and not ending like a sentence: "US, China Restart Talks on Fentanyl Crackdown"."""
    text = line.strip()
    return 0 < len(text.split()) <= 20 and not _SENTENCE_END.search(text)
