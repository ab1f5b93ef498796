"""The chat page in headless Chromium against a real `serve` stack on loopback and a real Rag.

One module-scoped page in a 1400x1000 window walks the whole story in order (ask, open a
citation, follow up, vote, upload, hostile document, stop, clear), saving a screenshot per step
under `artifacts/browser/`; the shots that show the page's fixed faults are kept under `docs/`.
Needs Debian's Chromium (`apt-get install -y chromium`) and `pip install playwright`; without
them the module is skipped with a loud reason rather than silently passing.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.core.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "artifacts" / "browser"
DOCS = REPO / "docs"
VIEWPORT = {"width": 1400, "height": 1000}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
QUESTION = "Who led the U.S. delegation to Beijing?"
FOLLOW_UP = "What did she say about the talks?"


def _skip_loudly(reason: str) -> None:
    message = f"BROWSER TESTS NOT RUN: {reason}"
    warnings.warn(message, stacklevel=2)
    pytest.skip(message, allow_module_level=True)


if not CHROMIUM.exists():
    _skip_loudly(f"{CHROMIUM} is missing; run `apt-get update && apt-get install -y chromium`.")
try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:
    _skip_loudly("playwright is not installed; run `pip install playwright` (no browser download needed).")

pytestmark = pytest.mark.browser

HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1;alert(1)"> Hostile notice <script>window.__pwned=2</script>'
HOSTILE_BODY = (
    "The hostile notice about onerror handlers was posted on the harbour wall in Quillmouth on 2 March 2024. "
    '<img src=x onerror="window.__pwned=3;alert(3)"> <script>window.__pwned=4;alert(4)</script> '
    "${window.__pwned=5} {{constructor.constructor('window.__pwned=6')()}} "
    '<a href="javascript:window.__pwned=7">click</a> <svg onload="window.__pwned=8"></svg> '
    "The Quillmouth notice about onerror handlers was removed by the council the next morning."
)
UPLOAD_TITLE = "Harbor pilots in Zephyrine walk out over night shifts"
UPLOAD_BODY = (
    "The harbor pilots of Zephyrine stopped guiding ships on Monday, their union said, after the port "
    "authority refused to cap night shifts at four a week. Captain Ilse Marrow, who leads the pilots' union, "
    "said the pilots would return to work once the cap was agreed in writing."
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh index of the sample corpus (uploads below change it) served on loopback."""
    from ingest.pipeline import ingest_path
    from tests.uvicorn_thread import running
    from ui.server import make_server

    root = tmp_path_factory.mktemp("browser")
    settings = Settings(index_dir=root / "index", feedback_file=root / "feedback.jsonl")
    report = ingest_path(REPO / "data" / "corpus", settings, progress=False)
    assert not report.errors, report.errors
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        yield {"url": url, "settings": settings, "root": root}


@pytest.fixture(scope="module")
def page(site: dict[str, Any]) -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport=VIEWPORT)
        tab.dialogs = []  # type: ignore[attr-defined]
        tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        tab.goto(site["url"])
        tab.wait_for_selector("#question textarea", timeout=60_000)
        expect(tab.locator("#article-list")).to_contain_text("fentanyl", timeout=30_000)
        yield tab
        browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fonts_used(page: Page, selector: str) -> list[str]:
    """The faces Chromium really drew the text of each `selector` match with (CDP), by PostScript name."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    faces: list[str] = []
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        faces += [f["postScriptName"] or f["familyName"] for f in fonts]
    cdp.detach()
    return faces


def ask(page: Page, question: str) -> Any:
    """Type `question`, press Ask, wait for its answer to finish; return the answer's locator."""
    done = page.locator("#conversation .msg.assistant.done")
    before = done.count()
    page.fill("#question textarea", question)
    page.click("#ask")
    expect(done).to_have_count(before + 1, timeout=120_000)
    return done.nth(before)


def test_headings_and_titles_render_in_one_face(page: Page) -> None:
    """Gradio's SemiBold file holds only A and B; bold text must not mix it with a fallback face."""
    for selector in ("h2", "#sidebar h3", "#article-list strong"):
        faces = set(fonts_used(page, selector))
        assert len(faces) == 1, f"{selector} drawn with {faces}"
    assert fonts_used(page, "h2")[0].endswith("-Bold")
    page.locator("#sidebar").screenshot(path=str(DOCS / "page-headings.png"))


def test_asking_streams_an_answer_with_sources(page: Page) -> None:
    shot(page, "01-loaded")
    expect(page.locator("#mode-badge")).to_contain_text("extractive")
    page.evaluate(
        """() => { window.__sawProgress = false;
        new MutationObserver(() => {
          if (document.querySelector('#conversation .progress')) window.__sawProgress = true; })
          .observe(document.querySelector('#conversation'), {subtree: true, childList: true}); }"""
    )
    answer = ask(page, QUESTION)
    assert page.evaluate("window.__sawProgress"), "no progress indicator was shown while retrieving"
    expect(answer.locator(".answer-text")).to_contain_text("Daskal")
    sources = answer.locator("li.source")
    assert sources.count() >= 1
    expect(sources.filter(has_text="Daskal").first.locator("blockquote")).to_contain_text("Daskal")
    expect(answer.locator(".badge")).to_contain_text("extractive")
    expect(answer.locator("details.retrieval summary")).to_contain_text("passages")
    shot(page, "02-answer")


def test_clicking_a_citation_opens_the_highlighted_passage(page: Page) -> None:
    answer = page.locator("#conversation .msg.assistant.done").first
    entry = answer.locator("li.source").filter(has_text="Daskal").first
    ref = entry.locator("a.src-link").get_attribute("data-ref")
    marker = answer.locator(f'.answer-text a.cite[data-ref="{ref}"]')
    (marker if marker.count() else entry.locator("a.src-link")).first.click()
    mark = page.locator("#article-panel mark.hl")
    expect(mark).to_contain_text("Daskal", timeout=30_000)
    expect(mark.first).to_be_in_viewport()
    expect(page.locator("#article-panel .article-meta.file")).to_contain_text(".txt")
    shot(page, "03-citation-panel")
    page.screenshot(path=str(DOCS / "chat-page.png"))


def test_a_follow_up_keeps_the_conversation(page: Page) -> None:
    answer = ask(page, FOLLOW_UP)
    expect(page.locator("#conversation .msg.user")).to_have_count(2)
    assert answer.locator("li.source").count() >= 1
    answer.locator("details.retrieval summary").click()
    expect(answer.locator("details.retrieval table")).to_be_visible()
    shot(page, "04-follow-up")


def test_the_newest_answer_and_its_first_sources_are_in_view(page: Page) -> None:
    """A third, long answer in a 1400x1000 window: no scrolling needed to read it and its sources."""
    answer = ask(page, "Why did the talks stop in 2022?")
    page.wait_for_timeout(300)  # the scroll runs after the last update
    assert page.evaluate("window.scrollY") == 0
    expect(answer.locator(".answer-text")).to_be_in_viewport(ratio=1)
    expect(answer.locator("li.source").first).to_be_in_viewport(ratio=1)
    expect(answer.locator("li.source").nth(1)).to_be_in_viewport()
    page.screenshot(path=str(DOCS / "page-answer-in-view.png"))


def test_a_passage_two_outlets_carried_is_one_source(page: Page) -> None:
    answer = ask(page, "What sanctions did the U.S. lift?")
    sources = answer.locator("li.source")
    quotes = [" ".join(q.split()) for q in sources.locator("blockquote").all_inner_texts()]
    assert len(quotes) == len(set(quotes)), quotes
    lifted = sources.filter(has_text="quietly agreed to lift")
    expect(lifted).to_have_count(1)
    expect(lifted.locator("a.src-link")).to_contain_text("Fox News")
    expect(lifted.locator(".also")).to_contain_text("The Associated Press")
    expect(answer.locator(".answer-text")).not_to_contain_text("][")  # one marker per passage
    answer.locator(".bubble").screenshot(path=str(DOCS / "page-sources.png"))


def test_thumbs_up_appends_feedback(page: Page, site: dict[str, Any]) -> None:
    first = page.locator("#conversation .msg.assistant.done").first
    first.locator("input.fb-comment").fill("clear and cited")
    first.locator("button.thumb.up").click()
    expect(first.locator(".feedback.done")).to_contain_text("helpful", timeout=30_000)
    lines = Path(site["settings"].feedback_path).read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["rating"] == "up" and record["comment"] == "clear and cited"
    assert record["question"] == QUESTION and record["citations"] and record["mode"] == "extractive"
    shot(page, "05-feedback")


def _upload(page: Page, path: Path) -> None:
    page.set_input_files("#upload input[type=file]", str(path))
    expect(page.locator("#upload-status")).to_contain_text("Ingested", timeout=120_000)


def test_uploading_a_file_adds_it_to_the_index(page: Page, site: dict[str, Any]) -> None:
    path = site["root"] / "harbor-pilots.txt"
    path.write_text(f"{UPLOAD_TITLE}\n\n{UPLOAD_BODY}\n", encoding="utf-8")
    _upload(page, path)
    expect(page.locator("#article-list")).to_contain_text("Zephyrine")
    answer = ask(page, "Why did the harbor pilots in Zephyrine stop guiding ships?")
    expect(answer.locator("li.source .file").first).to_contain_text("harbor-pilots.txt")
    shot(page, "06-upload")


def test_a_bad_upload_is_reported_by_name(page: Page, site: dict[str, Any]) -> None:
    path = site["root"] / "blank-page.txt"
    path.write_text("\n\n", encoding="utf-8")
    _upload(page, path)
    expect(page.locator("#upload-status")).to_contain_text("blank-page.txt")


def test_a_hostile_document_executes_nothing(page: Page, site: dict[str, Any]) -> None:
    path = site["root"] / "hostile-notice.txt"
    path.write_text(f"{HOSTILE_TITLE}\n\n{HOSTILE_BODY}\n", encoding="utf-8")
    _upload(page, path)
    listed = page.locator("#article-list li").filter(has_text="Hostile notice")
    expect(listed).to_contain_text("<img src=x")  # shown as text
    listed.locator("a").click()
    expect(page.locator("#article-panel")).to_contain_text("<script>window.__pwned=4", timeout=30_000)
    answer = ask(page, "What did the hostile notice about onerror handlers in Quillmouth say?")
    expect(answer.locator("li.source .file").first).to_contain_text("hostile-notice.txt")
    answer.locator("details.retrieval summary").click()
    answer.locator("a.src-link").first.click()
    expect(page.locator("#article-panel mark.hl")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    shot(page, "07-hostile")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("#conversation script, #article-panel script, #article-list script").count() == 0
    assert page.locator("#conversation svg[onload], #article-panel a[href^=javascript]").count() == 0


def test_filters_limit_a_question_to_an_outlet(page: Page) -> None:
    page.click("#filters")
    page.click("#filter-outlets input")
    page.get_by_role("option", name="NBC News").click()
    page.keyboard.press("Escape")
    answer = ask(page, QUESTION)
    expect(answer.locator(".scope")).to_contain_text("NBC News")
    outlets = answer.locator("li.source > a.src-link").all_inner_texts()
    assert outlets and all("NBC News" in text for text in outlets), outlets
    shot(page, "08-filtered")
    page.locator("#filter-outlets").get_by_role("button", name="Clear").first.click()


def test_stop_then_clear(page: Page) -> None:
    page.fill("#question textarea", QUESTION)
    page.click("#ask")
    page.click("#stop")
    expect(page.locator("#conversation .msg.assistant.pending")).to_have_count(0, timeout=60_000)
    ask(page, "How many overdose deaths were there in 2022?")  # the page still answers after a stop
    shot(page, "09-before-clear")
    page.click("#clear")
    expect(page.locator("#conversation .msg")).to_have_count(0, timeout=30_000)
    expect(page.locator("#article-panel mark.hl")).to_have_count(0)
    shot(page, "10-cleared")


def test_the_page_works_behind_basic_auth(page: Page, site: dict[str, Any]) -> None:
    from tests.uvicorn_thread import running
    from ui.server import make_server

    browser = page.context.browser
    assert browser is not None
    settings = Settings(index_dir=site["settings"].index_dir, auth="alice:pw-for-test")
    with running(make_server(settings, "127.0.0.1", 0)) as url:
        anonymous = browser.new_context()
        with pytest.raises(PlaywrightError, match="AUTH"):  # Chromium gives up on the 401 challenge
            anonymous.new_page().goto(url)
        anonymous.close()
        context = browser.new_context(
            http_credentials={"username": "alice", "password": "pw-for-test"}, viewport=VIEWPORT
        )
        tab = context.new_page()
        tab.goto(url)
        tab.wait_for_selector("#question textarea", timeout=60_000)
        answer = ask(tab, QUESTION)
        expect(answer.locator(".answer-text")).to_contain_text("Daskal")
        context.close()
