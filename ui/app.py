"""The chat page: layout and event wiring around one shared `Rag` (`build_app`).

The conversation is one `gr.HTML` that we render whole from escaped text (see `ui.render`)
rather than a `gr.Chatbot`: the chatbot renders Markdown from answers and documents, and we need
citation links, source lists and feedback controls inside each answer, all of which must stay
inert whatever a document contains. Clicks inside that HTML come back to Python through the
component's own `trigger('click', {ref})` hook, so no hidden widgets or DOM hacks are needed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.api import Rag
from rag.core.errors import RagError
from rag.core.types import ArticleInfo, Passage
from ui import render
from ui.chat import (
    StopRequests,
    Turn,
    citation,
    describe_filters,
    parse_as_of,
    parse_filters,
    parse_ref,
    stream_turn,
)
from ui.feedback import append_feedback, feedback_record
from ui.uploads import ALLOWED_SUFFIXES, ingest_uploads

EXAMPLE_QUESTIONS = (
    "Who led the U.S. delegation to Beijing?",
    "What does the U.S. want China to do about fentanyl precursors?",
    "How many overdose deaths were there in 2022?",
    "Why did the talks stop in 2022?",
)

STATIC = Path(__file__).parent / "static"
CSS_PATH = STATIC / "chat.css"
CLICK_JS = (STATIC / "clicks.js").read_text(encoding="utf-8")  # click delegation for data-ref links
LATEST_JS = (STATIC / "latest-turn.js").read_text(encoding="utf-8")  # keep the newest answer in view
PANEL_JS = (STATIC / "panel.js").read_text(encoding="utf-8")  # scroll the highlighted passage into view


def build_app(rag: Rag) -> gr.Blocks:
    """The chat page bound to `rag`; mount it with `ui.server.create_server` (or `.launch()`)."""
    with gr.Blocks(title="News RAG", analytics_enabled=False, fill_width=True) as demo:
        turns = gr.State([])
        with gr.Row(equal_height=True):
            gr.Markdown("## Ask the news\nAnswers come only from the ingested articles, with sources.")
            badge = gr.HTML(render.header_badge(rag.mode_label()), elem_id="mode-badge")
        with gr.Row():
            with gr.Column(scale=3, min_width=420):
                conversation = gr.HTML(
                    render.conversation_html([]), js_on_load=CLICK_JS + LATEST_JS, elem_id="conversation",
                    max_height=640, container=True, padding=True,
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about the articles…", show_label=False, scale=8,
                        max_lines=4, elem_id="question", submit_btn=False,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=80, elem_id="ask")
                    stop_btn = gr.Button("Stop", variant="stop", scale=0, min_width=80, elem_id="stop")
                    clear_btn = gr.Button("Clear", scale=0, min_width=80, elem_id="clear")
                with gr.Row(elem_id="examples"):
                    examples = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLE_QUESTIONS]
                with gr.Accordion("Limit the search", open=False, elem_id="filters"):
                    article_filter = gr.Dropdown(label="Articles", multiselect=True, choices=[], elem_id="filter-articles")
                    outlet_filter = gr.Dropdown(label="Outlets", multiselect=True, choices=[], elem_id="filter-outlets")
                    with gr.Row():
                        date_from = gr.Textbox(label="From date", placeholder="2024-01-01", elem_id="date-from")
                        date_to = gr.Textbox(label="To date", placeholder="2024-12-31", elem_id="date-to")
                    as_of = gr.Textbox(label="Asked on (\"this week\" is that week; empty: today)",
                                       placeholder="2024-01-30", elem_id="as-of")
            with gr.Column(scale=2, min_width=320):
                panel = gr.HTML(
                    render.empty_panel_html(), js_on_load=PANEL_JS, elem_id="article-panel",
                    max_height=760, container=True, padding=True,
                )
        with gr.Sidebar(label="Articles", open=True, position="left", elem_id="sidebar"):
            gr.Markdown("### Articles in the index")
            article_list = gr.HTML(render.article_list_html([]), js_on_load=CLICK_JS, elem_id="article-list")
            gr.Markdown("### Add articles")
            files = gr.File(
                label="Upload .txt, .md or .html", file_count="multiple",
                file_types=list(ALLOWED_SUFFIXES), elem_id="upload",
            )
            upload_status = gr.HTML("", elem_id="upload-status")

        handlers = _Handlers(rag)
        filter_inputs = [article_filter, outlet_filter, date_from, date_to]
        listing_outputs = [article_list, article_filter, outlet_filter]
        gr.on(
            [question.submit, ask_btn.click], handlers.ask,
            inputs=[question, turns, *filter_inputs, as_of], outputs=[conversation, turns, question],
            show_progress="hidden", concurrency_limit=16,
            trigger_mode="always_last",  # an Ask right after Stop runs once the stopped one ends
        )
        for button, text in zip(examples, EXAMPLE_QUESTIONS):
            filled = button.click(lambda t=text: t, outputs=question, queue=False, show_progress="hidden")
            filled.then(
                handlers.ask, inputs=[question, turns, *filter_inputs, as_of],
                outputs=[conversation, turns, question], show_progress="hidden", concurrency_limit=16,
                trigger_mode="always_last",
            )
        # Stop and Clear are cooperative (see `ui.chat.stream_turn`), not Gradio `cancels=`.
        stop_btn.click(handlers.stop, outputs=None, queue=False, show_progress="hidden")
        clear_btn.click(handlers.clear, outputs=[conversation, turns, panel, question], queue=False)
        conversation.click(handlers.open_ref, inputs=turns, outputs=[panel, conversation, turns], show_progress="hidden")
        article_list.click(handlers.open_ref, inputs=turns, outputs=[panel, conversation, turns], show_progress="hidden")
        files.upload(
            handlers.upload, inputs=files, outputs=[upload_status, files, *listing_outputs],
            concurrency_limit=1,  # one ingest at a time: they share the uploads folder and manifest
        )
        demo.load(handlers.listing, outputs=[*listing_outputs, badge], show_progress="hidden")
    return demo


class _Handlers:
    """Event handlers closed over one `Rag`; each returns values for the outputs wired above."""

    def __init__(self, rag: Rag) -> None:
        self.rag = rag
        self.stops = StopRequests()

    # --- asking -------------------------------------------------------------------------------
    def ask(
        self, question: str, turns: list[Turn], article_ids: list[str] | None, outlets: list[str] | None,
        date_from: str, date_to: str, request: gr.Request, as_of: str = "",
    ) -> Iterator[tuple[str, list[Turn], Any]]:
        """Stream one answer into the conversation; the first update shows progress at once."""
        question = (question or "").strip()
        if not question:
            gr.Warning("Type a question first.")  # a toast; raising gr.Error would log a traceback
            return
        try:
            filters = parse_filters(article_ids, outlets, date_from, date_to)
            day = parse_as_of(as_of)
        except RagError as exc:
            gr.Warning(str(exc))
            return
        scope = describe_filters(filters, self._titles()) if filters else ""
        session, started = _session(request), time.monotonic()

        def pressed() -> str:
            return self.stops.pressed_since(session, started)

        box: Any = ""  # empty the question box once; later updates must not wipe a new question
        for current in stream_turn(self.rag, list(turns or []), question, filters, stop=pressed, as_of=day):
            if pressed() == "clear":
                return  # Clear already emptied the page; don't paint the old turns back
            current[-1].scope = scope
            yield render.conversation_html(current), current, box
            box = gr.skip()

    def stop(self, request: gr.Request) -> None:
        """Ask the running answer to stop; it marks its turn stopped and keeps its partial text."""
        self.stops.press(_session(request), "stop")

    def clear(self, request: gr.Request) -> tuple[str, list[Turn], str, str]:
        self.stops.press(_session(request), "clear")
        return render.conversation_html([]), [], render.empty_panel_html(), ""

    # --- clicks inside the conversation and the article list ---------------------------------
    def open_ref(self, turns: list[Turn], evt: gr.EventData) -> tuple[Any, Any, Any]:
        """Route a clicked `data-ref`: open a citation or article, or record a thumbs vote."""
        kind, args = parse_ref(getattr(evt, "ref", ""))
        turns = turns or []
        try:
            if kind == "article":
                return self._article_panel(":".join(args)), gr.skip(), gr.skip()
            if kind in ("cite", "dup") and len(args) >= 2:
                return self._citation_panel(turns, args), gr.skip(), gr.skip()
            if kind == "fb" and len(args) == 2:
                return gr.skip(), *self._feedback(turns, int(args[0]), args[1], getattr(evt, "comment", ""))
        except (ValueError, IndexError):
            pass
        return gr.skip(), gr.skip(), gr.skip()

    def _citation_panel(self, turns: list[Turn], args: list[str]) -> str:
        turn_index, number = int(args[0]), int(args[1])
        cited = citation(turns, turn_index, number)
        answer = turns[turn_index].answer if cited else None
        if cited is None or answer is None:
            return render.article_panel_html(None, [])
        chunk_id, source, title = cited.chunk_id, cited.source, cited.title
        if len(args) == 3:  # a near-duplicate of the cited passage, in another article
            dup = cited.also_reported_by[int(args[2])]
            chunk_id, source, title = dup.chunk_id, dup.source, dup.title
        known = next((p.article_id for p in answer.passages if p.chunk_id == chunk_id and p.article_id), "")
        info, passages = self._find_article(known, chunk_id, source, title)
        return _stamp(render.article_panel_html(info, passages, chunk_id, cited.quote))

    def _article_panel(self, article_id: str) -> str:
        info = next((a for a in self.rag.articles() if a.article_id == article_id), None)
        passages = self.rag.article_passages(article_id) if info else []
        return _stamp(render.article_panel_html(info, passages))

    def _find_article(
        self, article_id: str, chunk_id: str, source: str, title: str
    ) -> tuple[ArticleInfo | None, list[Passage]]:
        """The article holding `chunk_id`: Citation carries no article id, so look it up."""
        articles = self.rag.articles()
        if article_id:
            return next((a for a in articles if a.article_id == article_id), None), self.rag.article_passages(article_id)
        candidates = [a for a in articles if a.source == source]
        candidates.sort(key=lambda a: a.title != title)
        for info in candidates:
            passages = self.rag.article_passages(info.article_id)
            if any(p.chunk_id == chunk_id for p in passages):
                return info, passages
        return None, []

    def _feedback(self, turns: list[Turn], index: int, rating: str, comment: str) -> tuple[str, list[Turn]]:
        turn = turns[index]
        if turn.answer is None or rating not in ("up", "down") or turn.feedback:
            return gr.skip(), gr.skip()
        record = feedback_record(turn.question, turn.answer, rating, comment)  # type: ignore[arg-type]
        append_feedback(self.rag.settings.feedback_path, record)
        turn.feedback = rating
        return render.conversation_html(turns), turns

    # --- the article list, filters and uploads -----------------------------------------------
    def _titles(self) -> dict[str, str]:
        return {a.article_id: a.title for a in self.rag.articles()}

    def listing(self) -> tuple[Any, ...]:
        """Article list and filter choices, read fresh (another session may have uploaded)."""
        try:
            articles = self.rag.articles()
        except RagError:
            articles = []
        article_choices = [(f"{a.title} — {a.outlet or a.source}", a.article_id) for a in articles]
        outlets = sorted({a.outlet for a in articles if a.outlet})
        return (
            render.article_list_html(articles),
            gr.update(choices=article_choices),
            gr.update(choices=outlets),
            render.header_badge(self.rag.mode_label()),
        )

    def upload(
        self, paths: list[str] | None, progress: gr.Progress = gr.Progress()  # noqa: B008 (Gradio's idiom)
    ) -> tuple[Any, ...]:
        """Save and ingest the uploaded files, then refresh everything that lists articles."""
        paths = list(paths or [])
        seen: list[str] = []

        def on_file(name: str) -> None:
            seen.append(name)
            progress(min(len(seen) / max(len(paths), 1), 0.99), desc=f"Ingesting {name}")

        progress(0.0, desc="Saving files")
        try:
            result = ingest_uploads(paths, self.rag.settings, on_file=on_file)
        except RagError as exc:
            return (render.status_html([str(exc)], "error"), None, *self.listing()[:3])
        lines = [result.summary] + [f"{name}: {reason}" for name, reason in result.problems]
        kind = "error" if result.problems else "info"
        status = render.status_html(lines, kind)
        return (status, None, *self.listing()[:3])


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "-"


def _stamp(html: str) -> str:
    """Make each opening a new value, so re-opening the same passage still scrolls to it."""
    return f'<div data-opened="{time.time_ns()}">{html}</div>'
