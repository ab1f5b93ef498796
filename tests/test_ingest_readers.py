"""read_page: every kind of unusable file becomes a FileRejected with a reason a user can act on."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from ingest.parse import parse_file
from ingest.readers import FileRejected, Page, read_page
from rag.core.errors import RagError

STORY = (
    "A headline for the test\n\nOfficials met on Tuesday to talk about fentanyl and other things.\n"
)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def rejected(path: Path, **kwargs: int) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        read_page(path, **kwargs)
    return info.value


def test_reads_plain_utf8_text(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "a.txt", STORY.encode()))
    assert page == Page(text=STORY, is_html=False, path=str(tmp_path / "a.txt"))


def test_markdown_is_accepted(tmp_path: Path) -> None:
    assert read_page(write(tmp_path / "a.md", b"# Title\n\nBody text.")).text.startswith("# Title")


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + STORY.encode()))
    assert page.text == STORY


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path: Path, codec: str) -> None:
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    page = read_page(write(tmp_path / "wide.txt", bom + "Café — 記事\r\nline two".encode(codec)))
    assert page.text == "Café — 記事\nline two"


def test_crlf_line_endings_are_normalised(tmp_path: Path) -> None:
    assert read_page(write(tmp_path / "dos.txt", b"one\r\ntwo\rthree")).text == "one\ntwo\nthree"


def test_error_is_a_rag_error_with_path_and_reason(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "x.txt", b""))
    assert isinstance(error, RagError)
    assert error.path == str(tmp_path / "x.txt")
    assert error.reason == "skipped: empty file (0 bytes)"
    assert str(error) == f"{tmp_path / 'x.txt'}: skipped: empty file (0 bytes)"


def test_whitespace_only_is_rejected(tmp_path: Path) -> None:
    assert "whitespace only" in rejected(write(tmp_path / "w.txt", b" \n\t\n  ")).reason


def test_binary_is_rejected(tmp_path: Path) -> None:
    reason = rejected(write(tmp_path / "b.txt", b"PK\x03\x04\x00\x00binary")).reason
    assert reason == "skipped: binary file (NUL byte at offset 4)"


def test_invalid_utf8_names_the_byte_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.txt", b"caf\xc3\xa9 ok, \xff and more")
    error = rejected(path)
    assert error.reason == "skipped: not UTF-8 text (invalid byte 0xff at offset 10)"
    assert str(error) == f"{path}: skipped: not UTF-8 text (invalid byte 0xff at offset 10)"


def test_cp1252_text_is_read_not_rejected(tmp_path: Path) -> None:
    """A Windows code-page export: smart quotes, a euro sign and "naïve" come back as written."""
    text = "The council\u2019s \u201cna\u00efve\u201d plan costs \u20ac5 \u2014 Ren\u00e9e said so on Monday.\n"
    assert read_page(write(tmp_path / "cp1252.txt", text.encode("cp1252"))).text == text


def test_size_cap_states_size_and_cap(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", b"word " * 40)
    assert (
        rejected(path, max_bytes=100).reason
        == "skipped: too large (200 bytes; the cap is 100 bytes)"
    )
    assert read_page(path, max_bytes=200).text.startswith("word")


def test_default_cap_is_20_mb(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: the size check must not read it
    assert rejected(path).reason == "skipped: too large (21.0 MB; the cap is 20.0 MB)"


def test_symlink_loop_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    assert "symlink loop" in rejected(tmp_path / "a.txt").reason


def test_broken_symlink_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    assert "broken symlink" in rejected(tmp_path / "dangling.txt").reason


def test_symlink_to_a_good_file_is_read(tmp_path: Path) -> None:
    target = write(tmp_path / "real.txt", STORY.encode())
    (tmp_path / "link").symlink_to(target)
    assert read_page(tmp_path / "link").text == STORY


def test_directory_and_fifo_are_not_regular_files(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block: must be refused before open
    assert "directory" in rejected(tmp_path / "dir.txt").reason
    assert "not a regular file" in rejected(tmp_path / "pipe.txt").reason


def test_unsupported_suffix_is_rejected(tmp_path: Path) -> None:
    assert rejected(write(tmp_path / "slides.pptx", b"PK\x03\x04")).reason == (
        "skipped: unsupported file type '.pptx'"
    )


def test_a_broken_pdf_is_named_not_raised(tmp_path: Path) -> None:
    reason = rejected(write(tmp_path / "doc.pdf", b"%PDF-1.4")).reason
    assert reason.startswith("skipped: not a readable PDF (") and "Data format error" in reason


def test_file_is_opened_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "once.txt", STORY.encode())
    opened: list[Path] = []
    real_open = Path.open

    def counting_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(self)
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", counting_open)
    read_page(path)
    assert opened == [path]


def _reason_when_read_as_nobody(path: Path) -> str:
    """Fork, drop to uid/gid 65534 and read: root ignores file modes, an ordinary user does not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        message = "setuid failed"
        try:
            os.setgid(65534)
            os.setuid(65534)
            read_page(path)
            message = "read"
        except FileRejected as exc:
            message = exc.reason
        except BaseException as exc:  # noqa: BLE001 - report anything to the parent
            message = f"{message}: {exc!r}"
        finally:
            os.write(write_end, message.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


def test_unreadable_file_is_rejected() -> None:
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o755)  # the unprivileged child must be able to reach the file
    path = write(folder / "secret.txt", STORY.encode())
    try:
        path.chmod(0)
        if os.geteuid() != 0:
            reason = rejected(path).reason
        else:  # root reads mode-000 files, so ask as an ordinary user instead
            reason = _reason_when_read_as_nobody(path)
            if reason.startswith("setuid failed"):
                pytest.skip(f"cannot drop privileges here ({reason})")
        assert reason == "skipped: cannot read (permission denied)"
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        shutil.rmtree(folder)


def test_odd_file_names_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path / "my file — ünïcödé 記事 (1).txt", STORY.encode())
    articles = parse_file(path, path.name)
    assert [a.source for a in articles] == [path.name]
    assert articles[0].title == "A headline for the test"


HTML = """<!DOCTYPE html><html><head><title>Officials meet on fentanyl | Example News</title>
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Doe; John Roe">
<meta property="article:published_time" content="2024-01-30T10:00:00Z">
<script>var leak = "SCRIPT_LEAK";</script><style>.x { content: "STYLE_LEAK" }</style></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Officials meet on fentanyl</h1>
<p>American and Chinese officials met Tuesday to discuss efforts to stem the flow of fentanyl.</p>
<figure><img src="a.jpg"><figcaption>Officials shake hands in Beijing on Jan. 30, 2024.
(AP Photo/Ng Han Guan, Pool)</figcaption></figure>
<p>Advertisement</p>
<p>The two-day meeting was the first for a new counternarcotics working group, officials said.</p>
<script>document.write("INLINE_LEAK")</script>
<p>China used to be a major supplier of fentanyl, and the U.S. credited a 2019 crackdown.</p>
</article></body></html>"""


def test_html_text_has_no_script_or_style_and_carries_metadata(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "page.html", HTML.encode()))
    assert page.is_html
    assert "LEAK" not in page.text and "var " not in page.text
    assert "stem the flow of fentanyl" in page.text
    assert page.meta["title"] == "Officials meet on fentanyl"
    assert page.meta["outlet"] == "Example News"
    assert page.meta["date"] == "2024-01-30"
    assert page.meta["byline"] == "Jane Doe and John Roe"
    assert "Officials shake hands in Beijing" in page.meta["captions"]


def test_html_goes_through_the_same_cleaning(tmp_path: Path) -> None:
    [article] = parse_file(write(tmp_path / "page.htm", HTML.encode()), "page.htm")
    assert article.title == "Officials meet on fentanyl"
    assert (article.outlet, article.date, article.byline) == (
        "Example News",
        "2024-01-30",
        "Jane Doe and John Roe",
    )
    assert article.captions == ["Officials shake hands in Beijing on Jan. 30, 2024."]
    assert "Advertisement" not in article.paragraphs
    assert len(article.paragraphs) == 3
    assert not any("LEAK" in p or "Officials shake hands" in p for p in article.paragraphs)


def test_txt_that_is_really_html_is_treated_as_html(tmp_path: Path) -> None:
    page = read_page(write(tmp_path / "saved.txt", HTML.encode()))
    assert page.is_html and "LEAK" not in page.text


def test_deeply_nested_html_does_not_crash(tmp_path: Path) -> None:
    depth = 2000
    paragraph = "<p>Deep text that is long enough to count as a paragraph of a news story.</p>"
    html = f"<html><body>{'<div>' * depth}{paragraph}{'</div>' * depth}</body></html>"
    page = read_page(write(tmp_path / "deep.html", html.encode()))
    assert "Deep text" in page.text


def test_absurdly_nested_html_is_rejected_or_read_never_crashes(tmp_path: Path) -> None:
    depth = 50_000
    html = f"<html><body>{'<div><span>' * depth}<p>Lost text.</p></body></html>"
    try:
        page = read_page(write(tmp_path / "deeper.html", html.encode()))
    except FileRejected as exc:
        assert "HTML" in exc.reason
    else:
        assert isinstance(page.text, str)


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><script>only()</script></body></html>",
        "<html><head><style>p { color: red }</style></head></html>",
        "<html><body></body></html>",
    ],
)
def test_html_without_text_is_rejected_with_a_reason(tmp_path: Path, html: str) -> None:
    reason = rejected(write(tmp_path / "empty.html", html.encode())).reason
    assert reason.startswith("skipped:") and "HTML" in reason


def test_broken_html_still_yields_text(tmp_path: Path) -> None:
    html = (
        "<html><body><div><p>Officials met on Tuesday to talk about the crisis <b>in "
        "<i>Beijing</p></div></span>and agreed to meet again next month in Washington.</body>"
    )
    page = read_page(write(tmp_path / "broken.html", html.encode()))
    assert "Officials met on Tuesday" in page.text
