"""LLM answers: build the fenced prompt, stream the reply, resolve its citation markers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from rag import prompts
from rag.text import defang
from rag.types import Passage


def answer_messages(question: str, passages: list[Passage]) -> list[Any]:
    """System rules plus the question with each passage fenced as numbered data."""
    from llama_index.core.llms import ChatMessage

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
    return [ChatMessage(role="system", content=prompts.ANSWER_SYSTEM), ChatMessage(role="user", content=user)]


def stream_answer(llm: Any, question: str, passages: list[Passage], **sampling: float) -> Iterator[str]:
    """The model's answer as it streams; `sampling` (temperature, max_tokens) goes to the model."""
    from rag.llm import stream_chat

    yield from stream_chat(llm, answer_messages(question, passages), **sampling)


def rewrite_question(llm: Any, question: str, history: list[dict[str, str]]) -> str:
    from llama_index.core.llms import ChatMessage

    from rag.llm import chat

    conversation = "\n".join(f"{m.get('role')}: {m.get('content', '')}" for m in history[-6:])
    messages = [
        ChatMessage(role="system", content=prompts.REWRITE_SYSTEM),
        ChatMessage(role="user", content=prompts.REWRITE_USER.format(conversation=conversation, question=question)),
    ]
    return chat(llm, messages).strip() or question
