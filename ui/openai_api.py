"""`/v1/models` and `/v1/chat/completions`: the OpenAI chat protocol, so Open WebUI, LibreChat,
the `openai` clients and `llm` can use the index like a model.

Each answer mode is a model: `news-rag` (extractive, always) and `news-rag-llm` (when a model
server is configured). The last user message is the question and earlier turns are the history.
The reply is the checked answer (`ui.markdown`); a stream sends the role at once, after
retrieval, then that text: an LLM draft is verified and its markers renumbered before anyone
sees it, so its text cannot be forwarded token by token.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from openai.types import Model
from openai.types.chat import ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from openai.types.shared import ErrorObject

from rag.api import History, Rag
from rag.core.errors import RagError
from rag.core.types import Answer, AnswerOptions
from ui.answer_stream import AnswerStream, StreamFailed
from ui.api_models import citations_out
from ui.http_errors import code_for, status_for
from ui.markdown import answer_markdown, strip_sources
from ui.openai_models import (
    ChatCompletionRequest,
    ErrorResponse,
    ModelList,
    RagChatCompletion,
    RagChatCompletionChunk,
)
from ui.sse import event_stream, frame

EXTRACTIVE_MODEL = "news-rag"
LLM_MODEL = "news-rag-llm"
PREFIX = "/v1"
ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 503)}


def model_ids(rag: Rag) -> list[str]:
    """One model per answer mode this server can use."""
    return [EXTRACTIVE_MODEL, LLM_MODEL] if rag.answer_mode != "extractive" else [EXTRACTIVE_MODEL]


def error_response(status: int, message: str, *, code: str | None = None, param: str | None = None) -> JSONResponse:
    """OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    error = ErrorObject(message=message, type=kind, param=param, code=code)
    return JSONResponse({"error": error.model_dump()}, status_code=status)


def install(app: FastAPI, rag: Rag) -> None:
    """Add the routes, and OpenAI-shaped validation errors under `/v1` (FastAPI's own elsewhere)."""
    app.include_router(openai_router(rag))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not request.url.path.startswith(PREFIX + "/"):
            return await request_validation_exception_handler(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or None
        return error_response(400, f"{where or 'request'}: {first.get('msg', 'invalid request')}", param=where)


def openai_router(rag: Rag) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["openai"])

    @router.get("/models", response_model=ModelList, responses=ERRORS)
    def models() -> ModelList:
        """The answer modes, as models."""
        return ModelList(data=[Model(id=m, created=0, object="model", owned_by="news-rag") for m in model_ids(rag)])

    @router.post("/chat/completions", response_model=RagChatCompletion, responses={
        **ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "JSON, or OpenAI's chunk stream"}})
    async def chat_completions(body: ChatCompletionRequest) -> Response:
        """Answer the last user message from the articles; earlier messages are the conversation."""
        if body.model not in model_ids(rag):
            return error_response(404, f"The model `{body.model}` does not exist; see GET /v1/models.",
                                  code="model_not_found", param="model")
        question, history = split_messages(body)
        if question is None:
            return error_response(400, "messages must include a user message (the question).", param="messages")
        options = AnswerOptions(use_llm=body.model == LLM_MODEL, temperature=body.temperature,
                                max_tokens=body.max_tokens or body.max_completion_tokens)
        stream = AnswerStream(rag, question, history, options, as_of=body.as_of)
        try:
            await stream.start()
        except RagError as exc:
            param = "messages" if status_for(exc) == 400 else None
            return error_response(status_for(exc), str(exc), code=code_for(exc), param=param)
        reply = _Reply(body.model)
        if body.stream:
            return event_stream(reply.chunks(stream))
        try:
            answer = await stream.answer()
        except StreamFailed as exc:
            return error_response(500, str(exc), code="internal_error")
        return JSONResponse(reply.completion(answer).model_dump(mode="json", exclude_unset=True))

    return router


def split_messages(body: ChatCompletionRequest) -> tuple[str | None, History]:
    """The last user message, and the user/assistant turns before it (our source lists removed)."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    last = next((i for i in range(len(turns) - 1, -1, -1) if turns[i].role == "user"), None)
    if last is None:
        return None, []
    history = [{"role": m.role, "content": strip_sources(m.text())} for m in turns[:last]]
    return turns[last].text(), history


class _Reply:
    """One completion's id, time and model, shared by all its chunks."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), model

    def completion(self, answer: Answer) -> RagChatCompletion:
        message = ChatCompletionMessage(role="assistant", content=answer_markdown(answer))
        return RagChatCompletion(
            id=self.id, object="chat.completion", created=self.created, model=self.model,
            choices=[Choice(index=0, message=message, finish_reason="stop", logprobs=None)],
            citations=citations_out(answer.citations),
        )

    def chunk(self, delta: ChoiceDelta, finish: str | None = None, answer: Answer | None = None) -> bytes:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish, logprobs=None)
        extra = {} if answer is None else {"citations": citations_out(answer.citations)}
        return frame(RagChatCompletionChunk(id=self.id, object="chat.completion.chunk", created=self.created,
                                            model=self.model, choices=[choice], **extra))

    async def chunks(self, stream: AnswerStream) -> AsyncIterator[bytes]:
        """Role, then the checked text, then a final chunk with finish_reason and citations; `[DONE]`."""
        yield self.chunk(ChoiceDelta(role="assistant", content=""))
        try:
            answer = await stream.answer()
        except StreamFailed as exc:
            error = ErrorObject(message=str(exc), type="server_error", param=None, code="internal_error")
            yield frame(ErrorResponse(error=error))
            return
        yield self.chunk(ChoiceDelta(content=answer_markdown(answer)))
        yield self.chunk(ChoiceDelta(), finish="stop", answer=answer)
        yield frame("[DONE]")
