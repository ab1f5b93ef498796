"""The chat page without a browser: it builds, its HTML is escaped, and its handlers work on a real Rag."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import gradio as gr
import pytest

from rag.api import Rag
from rag.core.errors import InvalidQuestionError
from rag.core.settings import Settings
from rag.core.types import Answer, ArticleInfo, Citation, Passage, SearchFilter, SourceRef
from ui import render
from ui.app import _Handlers, build_app
from ui.chat import Turn, history_of, parse_filters, queue_status, stream_turn
from ui.feedback import append_feedback, feedback_record
from ui.uploads import ingest_uploads, safe_name

QUESTION = "Who led the U.S. delegation to Beijing?"
HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=1\"> ${window.__pwned=1}"


def _hostile_answer() -> Answer:
    ref = SourceRef("c2", HOSTILE, HOSTILE, HOSTILE, HOSTILE)
    cited = Citation(1, HOSTILE, HOSTILE, "2024-01-30", HOSTILE, "c1", HOSTILE, (ref,))
    passage = Passage("c1", HOSTILE, HOSTILE, HOSTILE, 0.5, outlet=HOSTILE, fused_rank=1, duplicates=[ref])
    return Answer(
        text=f"{HOSTILE} [1] [7]", citations=[cited], abstained=False, mode="llm", model=HOSTILE,
        question=HOSTILE, rewritten_question=HOSTILE + "?", notice=HOSTILE, passages=[passage],
        timings_ms={"retrieval": 1.0},
    )


def _no_live_markup(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert not re.search(r"<[^>]*\son\w+=", html), "an event-handler attribute survived"


def test_esc_escapes_markup_and_quotes() -> None:
    assert render.esc('<img src=x onerror="a">') == "&lt;img src=x onerror=&quot;a&quot;&gt;"
    assert render.esc("it's") == "it&#x27;s"
    assert render.esc(None) == ""


def test_answer_text_links_only_known_markers() -> None:
    html = render.answer_text_html("Daskal led it [1]. Unknown [9].\n\n**Bold** <b>x</b>", 3, [1])
    assert 'data-ref="cite:3:1"' in html
    assert "cite:3:9" not in html and "[9]" in html
    assert "<strong>Bold</strong>" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_hostile_answer_renders_inert() -> None:
    turn = Turn(question=HOSTILE, answer=_hostile_answer(), scope=HOSTILE)
    html = render.conversation_html([turn])
    _no_live_markup(html)
    assert "&lt;script&gt;" in html and 'data-ref="cite:0:1"' in html


def test_a_hostile_article_renders_inert_with_the_quote_highlighted() -> None:
    info = ArticleInfo("a1", HOSTILE, HOSTILE, "2024-01-30", HOSTILE, HOSTILE, 2)
    passages = [
        Passage("c0", "First paragraph " + HOSTILE, HOSTILE, HOSTILE, 0.0),
        Passage("c1", "Before. The quoted sentence " + HOSTILE + " After.", HOSTILE, HOSTILE, 0.0),
    ]
    html = render.article_panel_html(info, passages, "c1", "The quoted sentence " + HOSTILE)
    _no_live_markup(html)
    assert re.search(r'<mark class="hl">The quoted sentence &lt;script&gt;', html)
    _no_live_markup(render.article_list_html([info]))
    _no_live_markup(render.status_html([HOSTILE], "error"))


def test_article_panel_drops_chunk_overlap() -> None:
    a = Passage("c0", "One sentence here. Two sentence here and more words.", "t", "s", 0.0)
    b = Passage("c1", "Two sentence here and more words. Three follows.", "t", "s", 0.0)
    html = render.article_panel_html(None, [a, b])
    assert html.count("Two sentence here") == 1


def test_parse_filters() -> None:
    assert parse_filters([], [], "", "") is None
    found = parse_filters(["a1"], ["NBC News"], "2024-01-01", "2024-01-31")
    assert found == SearchFilter(
        article_ids=("a1",), outlets=("NBC News",), date_from="2024-01-01", date_to="2024-01-31"
    )
    with pytest.raises(InvalidQuestionError, match="not a date"):
        parse_filters([], [], "30/01/2024", "")
    with pytest.raises(InvalidQuestionError, match="empty"):
        parse_filters([], [], "2024-02-01", "2024-01-01")


def test_safe_name_strips_paths_and_odd_characters() -> None:
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\evil<b>.md") == "evil_b_.md"


# --- against the real sample index ---------------------------------------------------------


def test_build_app_builds(sample_rag: Rag) -> None:
    demo = build_app(sample_rag)
    assert isinstance(demo, gr.Blocks)
    ids = {b.elem_id for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert {"conversation", "question", "ask", "stop", "clear", "article-panel", "article-list", "upload"} <= ids


def test_stream_turn_shows_progress_first_then_the_answer(sample_rag: Rag) -> None:
    updates = [[Turn(**vars(t)) for t in turns] for turns in stream_turn(sample_rag, [], QUESTION)]
    assert updates[0][-1].pending and not updates[0][-1].text
    final = updates[-1][-1]
    assert final.answer is not None and final.answer.citations
    assert history_of(updates[-1]) == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": final.answer.text},
    ]


def test_the_articles_being_read_show_before_the_answer(sample_rag: Rag) -> None:
    updates = [[Turn(**vars(t)) for t in turns] for turns in stream_turn(sample_rag, [], QUESTION)]
    reading = next(turns[-1] for turns in updates if turns[-1].status)
    assert reading.pending and not reading.text
    final = updates[-1][-1].answer
    assert final is not None
    first_title = final.passages[0].title
    assert reading.status.startswith("Reading ") and first_title in reading.status, reading.status
    assert first_title in render.turn_html(reading, 0)  # the page shows it in the progress line


def test_queue_positions_read_as_a_wait() -> None:
    assert queue_status(2).status == "Waiting for the model: 2 questions ahead of yours…"
    assert queue_status(1).status == "Waiting for the model: 1 question ahead of yours…"
    assert "model is reading" in queue_status(0).status


def test_stream_turn_reports_errors_in_the_turn(sample_rag: Rag) -> None:
    turns = list(stream_turn(sample_rag, [], "x" * 10_000))[-1]
    assert turns[-1].error and "limit" in turns[-1].error
    assert history_of(turns) == []


def test_filters_limit_what_is_retrieved(sample_rag: Rag) -> None:
    only = parse_filters([], ["The Associated Press"], "", "")
    turn = list(stream_turn(sample_rag, [], QUESTION, only))[-1][-1]
    assert turn.answer is not None and turn.answer.passages
    assert {p.outlet for p in turn.answer.passages} == {"The Associated Press"}


def test_clicking_a_citation_opens_its_article_highlighted(sample_rag: Rag) -> None:
    turns = list(stream_turn(sample_rag, [], QUESTION))[-1]
    handlers = _Handlers(sample_rag)
    cited = turns[0].answer.citations[0]
    panel, *_ = handlers.open_ref(turns, gr.EventData(None, {"ref": f"cite:0:{cited.number}"}))
    assert '<mark class="hl">' in panel
    assert render.esc(cited.title) in panel and render.esc(cited.source) in panel
    if cited.also_reported_by:
        dup_panel, *_ = handlers.open_ref(turns, gr.EventData(None, {"ref": f"dup:0:{cited.number}:0"}))
        assert render.esc(cited.also_reported_by[0].source) in dup_panel
    article = sample_rag.articles()[0]
    listed, *_ = handlers.open_ref(turns, gr.EventData(None, {"ref": f"article:{article.article_id}"}))
    assert render.esc(article.title) in listed


def test_thumbs_up_appends_a_jsonl_line(sample_index: Path, tmp_path: Path) -> None:
    rag = Rag(Settings(index_dir=sample_index, feedback_file=tmp_path / "fb.jsonl"))
    turns = list(stream_turn(rag, [], QUESTION))[-1]
    _, conversation, _ = _Handlers(rag).open_ref(turns, gr.EventData(None, {"ref": "fb:0:up", "comment": "nice"}))
    assert "recorded as helpful" in conversation
    line = json.loads((tmp_path / "fb.jsonl").read_text().splitlines()[-1])
    assert line["rating"] == "up" and line["comment"] == "nice" and line["question"] == QUESTION
    assert line["answer"] == turns[0].answer.text and line["citations"] and line["mode"] == "extractive"
    assert line["time"]


def test_feedback_lines_append(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "fb.jsonl"
    for rating in ("up", "down"):
        append_feedback(path, feedback_record("q", _hostile_answer(), rating, "c"))  # type: ignore[arg-type]
    assert [json.loads(x)["rating"] for x in path.read_text().splitlines()] == ["up", "down"]


def test_upload_ingests_good_files_and_names_bad_ones(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    good = tmp_path / "in" / "harbor-pilots.txt"
    good.parent.mkdir()
    good.write_text(
        "Harbor pilots in Zephyrine walk out over night shifts\n\n"
        "The harbor pilots of Zephyrine stopped guiding ships on Monday, their union said, after the port "
        "authority refused to cap night shifts at four a week. Captain Ilse Marrow, who leads the union, "
        "said the pilots would return once the cap was agreed.\n"
    )
    empty = tmp_path / "in" / "empty.txt"
    empty.write_text("")
    pdf = tmp_path / "in" / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    seen: list[str] = []
    result = ingest_uploads([good, empty, pdf], settings, on_file=seen.append)
    assert "harbor-pilots.txt" in result.saved
    problems = dict(result.problems)
    assert "empty.txt" in problems and "scan.pdf" in problems
    assert "harbor-pilots.txt" in seen
    assert (settings.index_dir / "uploads" / "harbor-pilots.txt").exists()
    rag = Rag(settings)
    assert any("Zephyrine" in a.title for a in rag.articles())
    shutil.rmtree(settings.index_dir / "uploads")


def test_stop_ends_the_turn_and_keeps_it_out_of_history(sample_rag: Rag) -> None:
    turns = list(stream_turn(sample_rag, [], QUESTION, stop=lambda: True))[-1]
    assert turns[-1].stopped and turns[-1].answer is None
    assert history_of(turns) == []
    assert "Stopped." in render.conversation_html(turns)


def test_ask_empties_the_question_box_only_once(sample_rag: Rag) -> None:
    """Later updates must not wipe a question typed while the answer streams."""
    updates = list(_Handlers(sample_rag).ask(QUESTION, [], [], [], "", "", gr.Request()))
    assert updates[0][2] == ""
    assert all(u[2] == gr.skip() for u in updates[1:])
    assert 'class="msg assistant done"' in updates[-1][0]


def test_ask_ignores_an_empty_question_and_a_bad_date(sample_rag: Rag) -> None:
    handlers = _Handlers(sample_rag)  # outside a page, gr.Warning's toast becomes a UserWarning
    with pytest.warns(UserWarning, match="Type a question"):
        assert list(handlers.ask("   ", [], [], [], "", "", gr.Request())) == []
    with pytest.warns(UserWarning, match="not a date"):
        assert list(handlers.ask(QUESTION, [], [], [], "yesterday", "", gr.Request())) == []


def test_each_sentence_cited_to_a_passage_is_highlighted_in_it() -> None:
    passage = Passage("c0", "Rates rose. Markets fell on the news. Snow closed roads.", "t", "s", 0.0)
    html = render.article_panel_html(None, [passage], "c0", "Rates rose. … Snow closed roads.")
    assert html.count('<mark class="hl">') == 2
    assert '<mark class="hl">Rates rose.</mark> Markets fell' in html
