"""Turn the chat page's thumbs up/down votes into gold-question candidates for a person to review.

    rag eval --from-feedback .rag/feedback.jsonl [--candidates-out eval/reports/gold-candidates.jsonl]

Why candidates and not gold: a vote says whether one answer pleased one reader, not what the
key facts are. Each candidate is a line in the `gold.jsonl` schema (so `eval.goldset` reads it)
with the vote kept under `feedback`; a person fills in `key_facts` and `reference`, checks
`supporting`, and moves the line into a gold set.

- thumbs up, answered: the cited sources become `supporting`, the answer the draft `reference`;
- thumbs up, refused: an `unanswerable` question the corpus rightly declined;
- thumbs down: an answerable question whose reference is still to be written (the rejected
  answer and the reader's comment are kept to help).

The latest vote on a question wins, so a reader who changed their mind yields one candidate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eval.goldset import parse_item


def read_votes(path: Path) -> list[dict[str, Any]]:
    """The vote records of a feedback JSONL file; `ValueError` names the first bad line."""
    votes = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            vote = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(vote, dict) or vote.get("rating") not in ("up", "down") or not vote.get("question"):
            raise ValueError(f"{path}:{number}: not a feedback record (needs rating up/down and a question)")
        votes.append(vote)
    return votes


def gold_candidates(votes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One gold-schema candidate per distinct question, from its latest vote."""
    latest: dict[str, dict[str, Any]] = {}
    for vote in votes:
        question = (vote.get("rewritten_question") or vote["question"]).strip()
        latest.pop(question, None)  # re-insert so the order follows the latest votes
        latest[question] = vote
    return [_candidate(question, vote) for question, vote in latest.items()]


def write_candidates(candidates: list[dict[str, Any]], out: Path) -> Path:
    """Write candidates as JSONL, each checked against the gold schema first."""
    lines = [json.dumps(c, ensure_ascii=False) for c in candidates]
    for line in lines:
        parse_item(line)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return out


def _candidate(question: str, vote: dict[str, Any]) -> dict[str, Any]:
    liked, refused = vote["rating"] == "up", bool(vote.get("abstained"))
    sources = list(dict.fromkeys(c["source"] for c in vote.get("citations", []) if c.get("source")))
    return {
        "id": "fb-" + hashlib.sha256(question.encode()).hexdigest()[:10],
        "type": "unanswerable" if liked and refused else "single",
        "question": question,
        "history": [],
        "reference": vote.get("answer", "") if liked and not refused else "",
        "key_facts": [],
        "supporting": [{"source": s} for s in sources] if liked and not refused else [],
        "answerable": not (liked and refused),
        "feedback": {
            "rating": vote["rating"],
            "comment": vote.get("comment", ""),
            "answer": vote.get("answer", ""),
            "mode": vote.get("mode", ""),
            "time": vote.get("time", ""),
        },
    }
