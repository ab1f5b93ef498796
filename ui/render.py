"""HTML for the chat page, built from escaped text only.

Every string that comes from a document, an answer or a user (titles, quotes, file names, model
output) goes through `esc` before it touches markup; the only tags in the output are the ones
written here. The page shows this HTML in `gr.HTML` components with their default template
`${value}`: the value is then a plain JS variable. Never put document text into a Handlebars
`{{...}}` template or into the template itself: `gr.HTML` evaluates its rendered template as a JS
template literal, so a document containing `${...}` would run.

Clickable things carry a `data-ref` attribute (`cite:<turn>:<n>`, `dup:<turn>:<n>:<i>`,
`fb:<turn>:up`, `article:<id>`) that the page's click handler sends back to Python.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from rag.core.types import Answer, ArticleInfo, Citation, Passage, SourceRef
from ui.chat import Turn

_MARKER = re.compile(r"\[(\d+)\]")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def esc(value: object) -> str:
    """HTML-escape any value, quotes included, so it is safe in text and attribute positions."""
    return html.escape("" if value is None else str(value), quote=True)


def answer_text_html(text: str, turn: int, numbers: Sequence[int] = ()) -> str:
    """Answer text as paragraphs, `**bold**` kept, and `[n]` turned into citation links.

    Only markers with a matching citation become links; the rest stay as typed. Markdown beyond
    bold is deliberately not interpreted, so a document cannot smuggle in images or links.
    """
    known = set(numbers)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in known:
            return match.group(0)
        return f'<a href="#" class="cite" data-ref="cite:{turn}:{n}" title="Open source {n}">[{n}]</a>'

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for para in paragraphs:
        body = _BOLD.sub(r"<strong>\1</strong>", esc(para.strip()))
        body = _MARKER.sub(link, body).replace("\n", "<br>")
        out.append(f"<p>{body}</p>")
    return "".join(out)


def highlight_span(body_html: str, span: str) -> str:
    """Mark the short answer where the answer text leads with it (its first occurrence)."""
    if not span:
        return body_html
    escaped = esc(span)
    return body_html.replace(escaped, f'<mark class="short-answer">{escaped}</mark>', 1)


def mode_badge(mode: str, model: str | None = None) -> str:
    """A small label saying whether a model wrote the answer or it was extracted verbatim."""
    if mode == "llm":
        return f'<span class="badge badge-llm">LLM · {esc(model or "model")}</span>'
    return '<span class="badge badge-extractive">extractive</span>'


def header_badge(label: str) -> str:
    """The page-level badge from `Rag.mode_label()` ("extractive" or "llm: <model>")."""
    kind = "llm" if label.startswith("llm") else "extractive"
    return f'<span class="badge badge-{kind}">Answer mode: {esc(label)}</span>'


def source_line(title: str, outlet: str, day: str) -> str:
    """`Title — Outlet, date`, leaving out what is unknown."""
    where = ", ".join(x for x in (outlet, day) if x)
    return f"<strong>{esc(title or 'Untitled')}</strong>" + (f" — {esc(where)}" if where else "")


def also_reported_html(refs: Sequence[SourceRef], turn: int, number: int) -> str:
    if not refs:
        return ""
    items = ", ".join(
        f'<a href="#" class="dup" data-ref="dup:{turn}:{number}:{i}">'
        f"{esc(r.outlet or r.source)}{esc(', ' + r.date if r.date else '')}</a>"
        for i, r in enumerate(refs)
    )
    return f'<div class="also">Also reported by {items}</div>'


def sources_html(citations: Sequence[Citation], turn: int) -> str:
    """The numbered source list under an answer: title, outlet, date, quote, near-duplicates."""
    if not citations:
        return ""
    items = []
    for c in citations:
        items.append(
            f'<li class="source" value="{c.number}">'
            f'<a href="#" class="src-link" data-ref="cite:{turn}:{c.number}">'
            f'<span class="num">[{c.number}]</span> {source_line(c.title, c.outlet, c.date)}</a>'
            f'<blockquote>{esc(c.quote)}</blockquote>'
            f"{also_reported_html(c.also_reported_by, turn, c.number)}"
            f'<div class="file">{esc(c.source)}</div></li>'
        )
    return f'<div class="sources"><div class="sources-title">Sources</div><ol>{"".join(items)}</ol></div>'


def _rank(value: int | None) -> str:
    return "–" if value is None else str(value)


def details_html(answer: Answer) -> str:
    """Collapsed "retrieval details": every passage considered with its ranks, and the timings."""
    cited = {c.chunk_id for c in answer.citations}
    rows = []
    for p in answer.passages:
        snippet = p.text if len(p.text) <= 180 else p.text[:177] + "…"
        dups = f" (+{len(p.duplicates)} near-duplicate)" if p.duplicates else ""
        rows.append(
            f'<tr class="{"cited" if p.chunk_id in cited else ""}">'
            f"<td>{_rank(p.fused_rank)}</td><td>{_rank(p.dense_rank)}</td>"
            f"<td>{_rank(p.keyword_rank)}</td><td>{p.score:.3f}</td>"
            f"<td>{source_line(p.title, p.outlet, p.date)}{esc(dups)}<br>"
            f'<span class="snippet">{esc(snippet)}</span></td></tr>'
        )
    timings = " · ".join(f"{esc(k)} {v:.0f} ms" for k, v in answer.timings_ms.items())
    searched = ""
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        searched = f'<div class="searched">Searched for: “{esc(answer.rewritten_question)}”</div>'
    table = (
        "<table><thead><tr><th>fused</th><th>dense</th><th>keyword</th><th>score</th>"
        f"<th>passage</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<div>No passages were retrieved.</div>"
    )
    summary = f"Retrieval details ({len(answer.passages)} passages{'; ' + timings if timings else ''})"
    return f'<details class="retrieval"><summary>{summary}</summary>{searched}{table}</details>'


_THUMB = (
    '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"{flip}>'
    '<path fill="currentColor" d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1'
    'L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"/></svg>'
)


def feedback_html(turn: int, given: str) -> str:
    """Thumbs up/down with an optional comment; once given, just say thanks."""
    if given:
        word = "helpful" if given == "up" else "not helpful"
        return f'<div class="feedback done">Thanks: recorded as {word}.</div>'
    up, down = _THUMB.format(flip=""), _THUMB.format(flip=' style="transform: rotate(180deg)"')
    return (
        f'<div class="feedback" data-turn="{turn}">'
        f'<button class="thumb up" data-ref="fb:{turn}:up" title="Helpful" aria-label="Helpful">{up}</button>'
        f'<button class="thumb down" data-ref="fb:{turn}:down" title="Not helpful" aria-label="Not helpful">{down}</button>'
        '<input class="fb-comment" type="text" maxlength="2000" aria-label="Feedback comment" '
        'placeholder="Optional comment, sent with your thumbs up or down">'
        "</div>"
    )


def turn_html(turn: Turn, index: int) -> str:
    """One question and its answer (or progress, or error) as chat bubbles."""
    parts = [f'<div class="msg user"><div class="bubble">{esc(turn.question)}</div></div>']
    body = []
    if turn.scope:
        body.append(f'<div class="scope">{esc(turn.scope)}</div>')
    answer = turn.answer
    if answer is not None:
        body.append(f'<div class="meta">{mode_badge(answer.mode, answer.model)}'
                    f'{"<span class=abstained>not covered by the articles</span>" if answer.abstained else ""}</div>')
        if answer.notice:
            body.append(f'<div class="notice">⚠ {esc(answer.notice)}</div>')
        numbers = [c.number for c in answer.citations]
        text_html = answer_text_html(answer.text, index, numbers)
        body.append(f'<div class="answer-text">{highlight_span(text_html, answer.short_answer)}</div>')
        body.append(sources_html(answer.citations, index))
        body.append(details_html(answer))
        body.append(feedback_html(index, turn.feedback))
    else:
        if turn.text:
            body.append(f'<div class="answer-text">{answer_text_html(turn.text, index)}</div>')
        if turn.pending:
            step = "Writing the answer…" if turn.text else turn.status or "Searching the articles…"
            body.append(f'<div class="progress" role="status"><span class="spinner"></span>{esc(step)}</div>')
        if turn.stopped:
            body.append('<div class="stopped">Stopped.</div>')
        if turn.error:
            body.append(f'<div class="error" role="alert">{esc(turn.error)}</div>')
    state = "pending" if turn.pending else "done"
    parts.append(f'<div class="msg assistant {state}" data-turn="{index}"><div class="bubble">{"".join(body)}</div></div>')
    return "".join(parts)


def conversation_html(turns: Sequence[Turn]) -> str:
    """The whole conversation; rendered afresh on every streamed update (conversations are short)."""
    if not turns:
        return (
            '<div class="empty-chat">Ask a question about the news articles in the index. '
            "Answers cite their sources; click a [n] marker to read the passage in context.</div>"
        )
    return "".join(turn_html(t, i) for i, t in enumerate(turns))


def article_list_html(articles: Sequence[ArticleInfo]) -> str:
    """The ingested articles, each clickable to open it in the side panel."""
    if not articles:
        return '<div class="empty">Nothing ingested yet: upload .txt, .md or .html files.</div>'
    items = "".join(
        f'<li><a href="#" data-ref="article:{esc(a.article_id)}">{source_line(a.title, a.outlet, a.date)}</a>'
        f'<div class="file">{esc(a.source)} · {a.chunks} chunk{"s" if a.chunks != 1 else ""}</div></li>'
        for a in articles
    )
    return f'<div class="article-count">{len(articles)} articles</div><ul class="articles">{items}</ul>'


def _drop_overlap(previous: str, text: str) -> str:
    """`text` without the head it repeats from `previous` (chunks overlap by a few sentences)."""
    for size in range(min(len(previous), len(text), 800), 19, -1):
        if previous.endswith(text[:size]):
            return text[size:].lstrip()
    return text


def _highlight(text: str, quote: str) -> str:
    """Escaped `text` with each part of `quote` ("first … second": the sentences cited to it)
    wrapped in `<mark>`; the whole passage if no part is in it."""
    spans = []
    for part in quote.split("…"):
        words = part.split()
        found = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
        if found is not None:
            spans.append(found.span())
    if not spans:
        return f'<mark class="hl">{esc(text)}</mark>'
    out, done = [], 0
    for at, end in sorted(spans):
        if at >= done:
            out += [esc(text[done:at]), f'<mark class="hl">{esc(text[at:end])}</mark>']
            done = end
    return "".join(out) + esc(text[done:])


def article_panel_html(
    info: ArticleInfo | None,
    passages: Sequence[Passage],
    chunk_id: str = "",
    quote: str = "",
) -> str:
    """An article in reading order with the cited passage highlighted (`<mark class="hl">`)."""
    if info is None and not passages:
        return '<div class="empty">That article is no longer in the index.</div>'
    first = passages[0] if passages else None
    title = info.title if info else first.title if first else ""
    outlet = info.outlet if info else first.outlet if first else ""
    day = info.date if info else first.date if first else ""
    byline = info.byline if info else first.byline if first else ""
    source = info.source if info else first.source if first else ""
    meta = " · ".join(esc(x) for x in (outlet, day) if x)
    blocks, previous = [], ""
    for p in passages:
        text = p.text if p.chunk_id == chunk_id else _drop_overlap(previous, p.text)
        previous = p.text
        if not text:
            continue
        inner = _highlight(text, quote) if p.chunk_id == chunk_id else esc(text)
        cls = "caption" if p.kind == "caption" else "para"
        label = '<span class="caption-label">Caption: </span>' if p.kind == "caption" else ""
        blocks.append(f'<p class="{cls}" data-chunk="{esc(p.chunk_id)}">{label}{inner}</p>')
    return (
        '<div class="panel-title">Article</div>'
        f'<article class="article-view"><h3>{esc(title or "Untitled")}</h3>'
        f'<div class="article-meta">{meta}</div>'
        + (f'<div class="article-meta">By {esc(byline)}</div>' if byline else "")
        + f'<div class="article-meta file">File: {esc(source)}</div>'
        f'<div class="article-body">{"".join(blocks)}</div></article>'
    )


def empty_panel_html() -> str:
    return (
        '<div class="panel-title">Article</div><div class="empty">Click a [n] marker or a source under an answer, or an article in '
        "the list, to read it here with the quoted passage highlighted.</div>"
    )


def status_html(lines: Sequence[str], kind: str = "info") -> str:
    """A short escaped status message (upload results, errors)."""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<ul class="status status-{esc(kind)}">{items}</ul>'
