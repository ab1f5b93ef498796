"""An answer as Markdown for chat clients (Open WebUI, LibreChat, `openai`): text, then sources.

The text keeps its `[n]` markers and a short numbered source list follows, so a client that
knows nothing of our citations still shows them. Clients render Markdown, so document text must
not become live markup there either: metadata is fully escaped, and in the answer text links,
images and raw HTML are neutralised (the `[n]` markers and `**bold**` stay readable).
"""

from __future__ import annotations

import re

from rag.core.types import Answer, Citation

SOURCES = "**Sources**"
CLOSEST = "**Closest passages**"
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
_TAIL = re.compile(rf"\n\n(?:_[^\n]*_\n\n)?(?:{re.escape(SOURCES)}|{re.escape(CLOSEST)})\n.*\Z", re.DOTALL)


def escape(text: str) -> str:
    """Every Markdown control character backslash-escaped, newlines flattened."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def inert(text: str) -> str:
    """Answer text with no live link, image or HTML tag, markers and emphasis untouched."""
    return text.replace("<", r"\<").replace("![", r"!\[").replace("](", r"]\(")


def source_line(c: Citation) -> str:
    """`[n] *Title*, Outlet, 2024-01-30 (file.txt); also reported by Fox News`."""
    where = ", ".join(escape(x) for x in (c.outlet, c.date) if x)
    line = f"[{c.number}] *{escape(c.title or 'Untitled')}*" + (f", {where}" if where else "")
    line += f" ({escape(c.source)})"
    others = list(dict.fromkeys(r.outlet or r.source for r in c.also_reported_by))
    if others:
        line += "; also reported by " + ", ".join(escape(o) for o in others)
    return line


def answer_markdown(answer: Answer) -> str:
    """The whole reply a chat client shows: text, the notice if any, the source list."""
    parts = [inert(answer.text)]
    if answer.notice:
        parts.append(f"_{escape(answer.notice)}_")
    if answer.citations:
        heading = CLOSEST if answer.abstained else SOURCES
        parts.append(heading + "\n" + "\n".join(f"- {source_line(c)}" for c in answer.citations))
    return "\n\n".join(parts)


def strip_sources(reply: str) -> str:
    """A reply from `answer_markdown` back to its answer text, for the conversation history."""
    return _TAIL.sub("", reply)
