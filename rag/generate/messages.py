"""LLM answers: build the fenced prompt, stream the reply, rewrite follow-up questions."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from rag.core.text import defang
from rag.core.types import Passage
from rag.generate import prompts
from rag.generate.client import ChatModel, ChatTurn, chat, stream_chat


def answer_messages(question: str, passages: list[Passage]) -> list[ChatTurn]:
    """System rules plus the question with each passage fenced as numbered data."""
    tag = secrets.token_hex(6)
    documents = "\n\n".join(
        prompts.DOCUMENT_FENCE.format(
            tag=tag,
            number=i,
            title=p.title,
            outlet=p.outlet or "unknown",
            date=p.date or "unknown",
            text=defang(p.text),
        )
        for i, p in enumerate(passages, start=1)
    )
    user = prompts.ANSWER_USER.format(tag=tag, documents=documents, question=question)
    return [ChatTurn("system", prompts.ANSWER_SYSTEM), ChatTurn("user", user)]


def stream_answer(llm: ChatModel, question: str, passages: list[Passage], **sampling: float) -> Iterator[str]:
    """The model's answer as it streams; `sampling` (temperature, max_tokens) goes to the model."""
    yield from stream_chat(llm, answer_messages(question, passages), **sampling)


def rewrite_question(llm: ChatModel, question: str, history: list[dict[str, str]]) -> str:
    conversation = "\n".join(f"{m.get('role')}: {m.get('content', '')}" for m in history[-6:])
    messages = [
        ChatTurn("system", prompts.REWRITE_SYSTEM),
        ChatTurn("user", prompts.REWRITE_USER.format(conversation=conversation, question=question)),
    ]
    return chat(llm, messages).strip() or question
