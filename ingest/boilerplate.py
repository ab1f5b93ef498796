"""Lines a folder's pages share: the promo, newsletter and footer lines a site prints under every
story ("Prep for the polls: See who is running ... in our Voter Guide" sits in 152 of RealTime
QA's 2,000 articles). A line counts when it recurs in at least `MIN_FILES` of the folder's text
files and in at least `MIN_SHARE` of them, so a wire paragraph that two or three outlets carried
stays; it must have `MIN_WORDS` words, shorter lines being left to the rules in `chrome`.
HTML pages are left out: trafilatura has already removed their templates.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

MIN_FILES = 5
MIN_SHARE = 0.02
MIN_WORDS = 4
_TEXT_SUFFIXES = (".txt", ".md")
_MAX_FILE_BYTES = 2 * 1024 * 1024


def line_key(line: str) -> str:
    """Case-, whitespace- and apostrophe-insensitive form: how ingest compares two lines."""
    return " ".join(line.lower().replace("’", "'").split())


def folder_boilerplate(path: Path, text: str) -> frozenset[str]:
    """Keys of the lines shared by the text files of `path`'s folder; `text` is `path`'s own,
    already read, so only its siblings are opened, once per folder (again when the folder changes)."""
    path = Path(path).absolute()
    try:
        stamp = path.parent.stat().st_mtime_ns
    except OSError:
        return frozenset()
    cached = _CACHE.get(str(path.parent))
    if cached is None or cached[0] != stamp:
        cached = (stamp, _shared_lines(path, text))
        _CACHE[str(path.parent)] = cached
    return cached[1]


_CACHE: dict[str, tuple[int, frozenset[str]]] = {}


def _shared_lines(path: Path, text: str) -> frozenset[str]:
    counts = Counter(_keys(text))
    files = 1
    for file in path.parent.iterdir():
        if file.suffix.lower() not in _TEXT_SUFFIXES or file.name == path.name:
            continue
        try:
            if not file.is_file() or file.stat().st_size > _MAX_FILE_BYTES:
                continue
            sibling = file.read_bytes().decode("utf-8", errors="ignore")
        except OSError:
            continue
        files += 1
        counts.update(_keys(sibling))
    floor = max(MIN_FILES, MIN_SHARE * files)
    return frozenset(key for key, n in counts.items() if n >= floor)


def _keys(text: str) -> set[str]:
    return {key for key in map(line_key, text.splitlines()) if len(key.split()) >= MIN_WORDS}
