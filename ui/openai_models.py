"""Schemas of the OpenAI-compatible endpoint: requests as clients send them, responses as the
`openai` package's own types (plus our `citations` field), errors in OpenAI's shape."""

from __future__ import annotations

from datetime import date
from typing import Literal

from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.shared import ErrorObject
from pydantic import BaseModel, ConfigDict, Field

from ui.api_models import CitationOut


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted, not used
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text; of a list of parts, the text parts joined."""
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """`POST /v1/chat/completions`. Options we do not use (top_p, user, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(description="an id from GET /v1/models: news-rag (extractive) or news-rag-llm")
    messages: list[ChatMessageIn] = Field(min_length=1, description="the last user message is the question")
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2, description="passed to the LLM (news-rag-llm)")
    max_tokens: int | None = Field(None, ge=1, description="passed to the LLM (news-rag-llm)")
    max_completion_tokens: int | None = Field(None, ge=1, description="newer name for max_tokens")
    as_of: date | None = Field(None, description="extra field: the date the question is asked on (ISO); default today")


class RagChatCompletion(ChatCompletion):
    citations: list[CitationOut] = Field(description="the sources behind the [n] markers")


class RagChatCompletionChunk(ChatCompletionChunk):
    citations: list[CitationOut] | None = Field(None, description="set on the final chunk only")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class ErrorResponse(BaseModel):
    error: ErrorObject
