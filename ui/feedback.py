"""Thumbs up/down on answers, appended one JSON line per vote to `settings.feedback_path`.

JSONL because it is append-only (no read-modify-write race between sessions), greppable, and
loads straight into the eval tooling. Each line carries enough to judge the answer later without
the index: the question, the answer text, its citations and the mode that produced it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rag.core.types import Answer

MAX_COMMENT_CHARS = 2000
_write_lock = threading.Lock()


def feedback_record(
    question: str, answer: Answer, rating: Literal["up", "down"], comment: str = ""
) -> dict[str, Any]:
    """The JSON object written for one vote."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "rating": rating,
        "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
        "question": question,
        "rewritten_question": answer.rewritten_question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [asdict(c) for c in answer.citations],
        "mode": answer.mode,
        "model": answer.model,
        "notice": answer.notice,
    }


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    """Append `record` as one line; a lock keeps concurrent votes from interleaving."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock, path.open("a", encoding="utf-8") as out:
        out.write(line)
