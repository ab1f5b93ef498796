"""Cut a page into stories, and name the publisher from the masthead above them.

Pages often glue unrelated stories together (briefings, aggregators, archive pages, newsletters).
A story starts at its headline, recognised by what follows it rather than by any site's template.
The cues, each a convention of news typography:
  * a headline-shaped line (2-20 words, starts like a title, no closing full stop, not chrome, a
    credit or an outlet's bare name) directly followed by a story lead: a byline ("By Jane Doe"),
    a "Published/Posted/Updated <date>" line, a line that is only a date, or a dateline paragraph
    ("LONDON, March 3, 2021 (Reuters) —", "NAIROBI (AP) —", "Tainan, Taiwan CNN —", "PARIS —");
  * a headline-shaped line right after a hard separator (a rule such as "* * *", "-----", "###",
    "• • •", or a share bar) that is followed by body text;
  * a headline over a bare "Published" / "Posted" label whose date the page renders elsewhere
    (blog themes print "Published", "on", then the headline again).
Three cues say a headline-shaped line starts no story: it repeats the headline just above it (the
headline printed again), it sits in a teaser list ("Most Read", ...), or the two lines above it
are headline-shaped too (it is the last of a story's highlights, printed between its headline and
its dateline). Whatever precedes the first story is page chrome (the masthead, whose name
`masthead` reads) or, if it has real text, a story of its own. Pages with no start are one story.
The header a page opens with (front matter, labelled lines, the title line) is read in
`ingest.header`, which may name the line that starts the first story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.boilerplate import line_key
from ingest.captions import is_credit_only
from ingest.chrome import is_aggregator_note, is_chrome, is_teaser_heading, teaser_block_end
from ingest.metadata import (
    credits_on,
    is_date_line,
    is_name_line,
    is_outlet_name,
    is_story_lead,
)

_BARE_LABEL = re.compile(r"(?:published|posted|updated|last updated)(?: on)?:?", re.IGNORECASE)
_ON = re.compile(r"on:?", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?$")
_HEADLINE_END = re.compile(r"[.!,;:][\"'”’)]?$")
_HEADLINE_START = re.compile(r"[A-Z0-9\"'“‘$£€]")
_HARD_SEPARATOR = re.compile(r"(?:[-_=*~•·—–#+]\s*){2,}|share (?:this|on)\b.*", re.IGNORECASE)
_MASTHEAD_SPLIT = re.compile(r"\s+[|·•/—–]\s+")
_NAV_TAIL = re.compile(
    r"(?:\s+(?:menu|search|sign in|log ?in|subscribe|register|my account))+$", re.IGNORECASE
)
_MASTHEAD_MAX_WORDS = 5
_NAME_CONNECTORS = {"of", "the", "and", "&", "for", "on", "in", "at"}
_HEADLINE_MAX_WORDS = 20
_DECK_LINES = 2


@dataclass
class Story:
    """One story's raw lines, with its headline when the page template gave one."""

    lines: list[str]
    title: str = ""


def split_stories(lines: list[str], title_at: int | None = None) -> list[Story]:
    """One `Story` per headline that starts a story, plus any text before the first. `title_at`
    is where the page's header put its title (`ingest.header`; -1: outside the text): that line
    starts the first story, and no headline-shaped line between it and the story's first sentence
    starts another (a byline's names, an affiliation, a deck over a dateline)."""
    starts = story_starts(lines)
    if title_at is not None:
        first_text = next((k for k in range(title_at + 1, len(lines)) if _is_text(lines[k])), len(lines))
        starts = ([title_at] if title_at >= 0 else []) + [s for s in starts if s >= first_text]
    if not starts:
        return [Story(lines)]
    stories = [Story(lines[: starts[0]])] if starts[0] > 0 else []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        stories.append(Story(lines[start + 1 : end], title=lines[start]))
    return stories


def _is_text(line: str) -> bool:
    """A line of story text: a sentence of more than three words that is not chrome."""
    return bool(_SENTENCE_END.search(line.strip())) and len(line.split()) > 3 and not is_chrome(line)


def is_chrome_lead_in(stories: list[Story]) -> bool:
    """The text above the first story holds no sentence: a masthead, a menu or a call to action,
    which is page chrome and no story of its own."""
    lead = stories[0]
    return len(stories) > 1 and not lead.title and not any(_SENTENCE_END.search(x.strip()) for x in lead.lines)


def story_starts(lines: list[str]) -> list[int]:
    """Indexes of the headlines that open a story, repeats and teaser-list items left out."""
    teasers = _teaser_lines(lines)
    starts: list[int] = []
    for i in range(len(lines)):
        template = i > 0 and _is_story_start(lines, i)
        if not template and (i in teasers or not _is_headline_start(lines, i)):
            continue
        if starts and line_key(lines[starts[-1]]) == line_key(lines[i]):
            continue  # the headline printed again under itself
        starts.append(i)
    return starts


def _is_headline_start(lines: list[str], i: int) -> bool:
    """A headline over a byline / date / dateline, or after a hard separator and over body text."""
    if i + 1 >= len(lines) or not is_headline_candidate(lines[i]) or _under_a_deck(lines, i):
        return False
    if i > 0 and is_name_line(lines[i - 1]):
        return False  # "Jane Roe" over "The Valley News": a byline's affiliation line
    if is_story_lead(lines[i + 1]):
        return True
    after_separator = i > 0 and bool(_HARD_SEPARATOR.fullmatch(lines[i - 1].strip()))
    return after_separator and bool(_SENTENCE_END.search(lines[i + 1].strip()))


def _under_a_deck(lines: list[str], i: int) -> bool:
    """`lines[i]` ends a run of headline-shaped lines (a story's highlights, printed between its
    headline and its dateline): it is the story's last highlight, not a new story's headline."""
    above = lines[max(0, i - _DECK_LINES) : i]
    return len(above) == _DECK_LINES and all(map(is_headline_candidate, above))


def is_headline_candidate(line: str) -> bool:
    """Headline-shaped: 2-20 words, starts like a title, no closing full stop, not chrome or a lead."""
    text = line.strip()
    return (
        2 <= len(text.split()) <= _HEADLINE_MAX_WORDS
        and bool(_HEADLINE_START.match(text))
        and not _HEADLINE_END.search(text)
        and not is_chrome(text)
        and not is_credit_only(text)
        and not is_outlet_name(text)
        and not is_date_line(text)
        and not is_story_lead(text)
    )


def _teaser_lines(lines: list[str]) -> set[int]:
    """Indexes covered by teaser lists ("Most Read", "Related stories", …)."""
    covered: set[int] = set()
    for i, line in enumerate(lines):
        if is_teaser_heading(lines, i):
            covered.update(range(i, teaser_block_end(lines, i)))
    return covered


def masthead(stories: list[Story]) -> str:
    """The publisher's name from the chrome above the first story ("Daily Star | Local | …"),
    or "" when there is no such lead-in or it holds real text."""
    if len(stories) < 2 or stories[0].title:
        return ""
    front = [line for line in stories[0].lines if not is_chrome(line) or _names_site(line)]
    if any(_SENTENCE_END.search(line) for line in front):
        return ""
    return next((name for name in map(_masthead_name, front) if name), "")


def _names_site(line: str) -> bool:
    """Chrome that may still carry the site name: a menu bar or a masthead with nav words."""
    return bool(_MASTHEAD_SPLIT.search(line) or _NAV_TAIL.search(line))


def _masthead_name(line: str) -> str:
    """A name-shaped lead: a few words, each capitalised ("The Morning Star", "DailyMix"), not a
    call to action such as "Connect with us"."""
    name = _NAV_TAIL.sub("", _MASTHEAD_SPLIT.split(line.strip())[0]).strip()
    words = name.split()
    if not 1 <= len(words) <= _MASTHEAD_MAX_WORDS or is_chrome(name) or _HEADLINE_END.search(name):
        return ""
    if not all(w[:1].isupper() or w.lower() in _NAME_CONNECTORS for w in words):
        return ""
    return name.title() if name.isupper() else name


def page_outlet(stories: list[Story]) -> str:
    """The masthead as every story's fallback outlet, when the page is that outlet's own: some
    story credits it, or none credits anyone. An aggregator's name is never an outlet: a page
    that says it carries partners' stories, or credits only others, has no publisher."""
    name = masthead(stories)
    lines = [line for story in stories for line in story.lines]
    if not name or any(map(is_aggregator_note, lines)):
        return ""
    credits = credits_on(lines)
    if not credits:
        return name
    return next((c for c in credits if _outlet_key(c) == _outlet_key(name)), "")


def _outlet_key(name: str) -> str:
    return re.sub(r"^the\s+", "", " ".join(name.lower().split()))


def _is_story_start(lines: list[str], i: int) -> bool:
    """`lines[i]` is a headline over a bare "Published" / "Posted" label (perhaps with "on" on the
    next line); without the "on" the headline must be headline-shaped in the strict sense."""
    if i + 1 >= len(lines) or not _BARE_LABEL.fullmatch(lines[i + 1].strip()):
        return False
    on_line = "on" in lines[i + 1].lower().split() or (
        i + 2 < len(lines) and bool(_ON.fullmatch(lines[i + 2].strip()))
    )
    return is_headline(lines[i]) if on_line else is_headline_candidate(lines[i])


def is_headline(line: str) -> bool:
    """Short and not ending like a sentence: "US, China Restart Talks on Fentanyl Crackdown"."""
    text = line.strip()
    return 0 < len(text.split()) <= 20 and not _SENTENCE_END.search(text)
