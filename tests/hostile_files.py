"""A generator of hostile and broken files for ingest tests: `make_hostile_folder(path)`.

Each entry names the file, says why it is there, and what ingest must do with it: `"ok"` (go in
as an article) or `"error"` (be named in `IngestReport.errors` with a reason that contains
`reason`). The 100 MB file is sparse (a seek past the end, then a few bytes), so making it costs
no disk and no time; the caller deletes the folder afterwards.

    cases = make_hostile_folder(tmp_path / "hostile")
    report = ingest_path(tmp_path / "hostile", settings)
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

STORY = (
    "Harbor council approves new ferry schedule\n\n"
    "The Harbor council voted on Tuesday to add three evening ferry crossings from March, "
    "the council's transport chair, Mara Lind, said after the meeting.\n\n"
    "The extra crossings will cost about 240,000 dollars a year and will be paid from the "
    "port levy, Lind said, adding that commuters had asked for them for two years.\n"
)

BIG_BYTES = 100 * 1024 * 1024
PAYLOADS = ("SCRIPT_PAYLOAD", "ONLOAD_PAYLOAD", "127.0.0.1:9")  # must never reach a chunk
LONG_NAME_CHARS = 240  # ext4 allows 255 bytes per name


@dataclass(frozen=True)
class Case:
    name: str  # file name relative to the folder
    why: str
    expect: str  # "ok" | "error" | "ok-or-error" (permission: depends on who runs ingest)
    reason: str = ""  # a fragment of the reported reason, for expect == "error"
    marker: str = ""  # a word only this file's article contains, for expect == "ok"


def _story(marker: str) -> str:
    return STORY.replace("Mara Lind", f"Mara {marker}").replace("Lind said", f"{marker} said")


def _deep_html(marker: str, depth: int) -> str:
    """A page with scripts, an inline handler and tags nested `depth` deep around the story."""
    body = "".join(f"<p>{p}</p>" for p in _story(marker).split("\n\n")[1:])
    nest_open, nest_close = "<div>" * depth, "</div>" * depth
    return (
        "<!DOCTYPE html><html><head><title>Harbor council approves new ferry schedule</title>"
        "<script>document.write('SCRIPT_PAYLOAD'); fetch('http://127.0.0.1:9/steal')</script>"
        "</head><body onload=\"alert('ONLOAD_PAYLOAD')\">"
        f"<article><h1>Harbor council approves new ferry schedule</h1>{nest_open}{body}{nest_close}"
        "<script>var x = 'SCRIPT_PAYLOAD';</script></article></body></html>"
    )


def make_hostile_folder(folder: Path) -> list[Case]:
    """Write every hostile case into `folder` (created); return what each should become."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, data: bytes, case: Case) -> None:
        (folder / name).write_bytes(data)
        cases.append(case)

    add("good-plain.txt", _story("Plainsson").encode(), Case("good-plain.txt", "control", "ok", marker="Plainsson"))
    add("binary.txt", bytes(range(256)) * 64, Case("binary.txt", "binary with a .txt name", "error", "binary"))
    add("zero.txt", b"", Case("zero.txt", "zero bytes", "error", "empty file"))
    add("whitespace.md", b" \n\t\n  ", Case("whitespace.md", "whitespace only", "error", "no text"))
    bad_utf8 = ("Café " + _story("Badbyte")).encode()[:120] + b"\xff\xfe\xc3(" + b" more text"
    add("invalid-utf8.txt", bad_utf8, Case("invalid-utf8.txt", "UTF-8 with invalid bytes", "error", "not UTF-8"))
    add("cp1252.txt", _story("Codepagen").replace("said", "said\u2014").encode("cp1252"),
        Case("cp1252.txt", "cp1252 text (no UTF-8)", "ok", marker="Codepagen"))
    add("utf16-bom.txt", codecs.BOM_UTF16_LE + _story("Sixteenson").encode("utf-16-le"),
        Case("utf16-bom.txt", "UTF-16 with BOM", "ok", marker="Sixteenson"))
    add("deep-script.html", _deep_html("Nestorsen", 1000).encode(),
        Case("deep-script.html", "HTML with scripts and 1,000-deep nesting", "ok", marker="Nestorsen"))
    # Past libxml2's depth limit the story is lost: it must be reported, not crash the run.
    add("deeper-script.html", _deep_html("Abyssinth", 20000).encode(),
        Case("deeper-script.html", "HTML nested 20,000 deep", "error", "no article text"))
    # A .txt that is only markup: scripts and styles, no visible text.
    add("only-script.html", b"<html><head><script>alert('x')</script><style>p{}</style></head><body></body></html>",
        Case("only-script.html", "HTML with no text outside scripts", "error", "skipped"))
    big = folder / "big-100mb.txt"
    with big.open("wb") as handle:
        handle.seek(BIG_BYTES - 5)
        handle.write(b"tail\n")
    cases.append(Case("big-100mb.txt", "100 MB (sparse) text file", "error", "too large"))
    loop_a, loop_b = folder / "loop-a.txt", folder / "loop-b.txt"
    os.symlink(loop_b.name, loop_a)
    os.symlink(loop_a.name, loop_b)
    cases += [Case("loop-a.txt", "symlink loop", "error", "symlink loop"),
              Case("loop-b.txt", "symlink loop", "error", "symlink loop")]
    os.symlink("does-not-exist.txt", folder / "dangling.txt")
    cases.append(Case("dangling.txt", "dangling symlink", "error", "broken symlink"))
    unreadable = folder / "unreadable.txt"
    unreadable.write_text(_story("Lockwood"))
    unreadable.chmod(0)
    cases.append(Case("unreadable.txt", "mode 000", "ok-or-error", "permission denied", marker="Lockwood"))
    odd = {
        "with spaces in name.txt": "Spacey",
        "ünïcödé 記事 — news.txt": "Unicodia",
        "-leading-dash.txt": "Dashwood",
        ("l" * (LONG_NAME_CHARS - 4)) + ".txt": "Longfellowe",
        "new\nline.txt": "Newlinson",
    }
    for name, marker in odd.items():
        add(name, _story(marker).encode(), Case(name, "odd file name", "ok", marker=marker))
    add("slides.pptx", b"PK\x03\x04", Case("slides.pptx", "unsupported type", "error", "unsupported file type"))
    add("notes.pdf", b"%PDF-1.4\n", Case("notes.pdf", "a PDF header and nothing else", "error", "not a readable PDF"))
    add("memo.docx", b"PK\x03\x04", Case("memo.docx", "a zip header, not a Word file", "error", "not a readable .docx"))
    return cases


def restore_permissions(folder: Path) -> None:
    """Make everything deletable again (the mode-000 file)."""
    for path in folder.iterdir():
        if not path.is_symlink():
            path.chmod(0o644)
