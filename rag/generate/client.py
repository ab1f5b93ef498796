"""The one place that talks to a model server, through the `openai` client directly.

Why this module exists: a model server fails in many ways (refused, hung, rate limited, 5xx,
garbage JSON, a stream cut mid-way), and callers only need to know "no answer from the model,
because ...", so they can fall back to an extractive answer. Every failure here therefore
becomes an `LLMUnavailableError` with a short reason, and no call outlives its deadline.

What we rely on, and what we add (verified against openai 2.54):
- The openai client retries connection errors, timeouts, 408/409/429 and 5xx itself, with
  exponential back-off from 0.5 s (cap 8 s), honouring `Retry-After`/`retry-after-ms` up to
  120 s. It is the only retry layer: `max_retries` and `timeout` are the client's own options.
- The client's `timeout` bounds each socket operation, not a call: a 429 with a long
  Retry-After, or a stream that trickles, can run far past it. So each call runs in a worker
  thread and we stop waiting after `timeout x (retries + 1)` (a stream: for the first chunk,
  then `timeout` between chunks; a stream that keeps producing text may run longer).
- The client ends a stream quietly when the connection closes cleanly without `[DONE]`, so we
  require a chunk with a `finish_reason` before calling a stream complete.
- A stream may ask for each generated token's log-probability (`logprobs`, `top_logprobs` 1:
  llama.cpp sends none at 0) and hands them to the caller as they come: how sure the model was
  of its answer is a refusal signal (`rag.evidence.refusal.model_confidence`).
- A stream asks for the server's token counts (`stream_options.include_usage`, which OpenAI,
  vLLM, Ollama and llama.cpp all honour) and hands them, with llama.cpp's own `timings` when the
  server sends them, to the caller as a `ModelUsage`: how long a model takes to start is mostly
  how many prompt tokens it had to read, and whether its prompt cache served the rest.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit, urlunsplit

from rag.core.errors import ConfigError, LLMUnavailableError
from rag.core.settings import Settings

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

__all__ = ["ChatModel", "ChatTurn", "Message", "ModelUsage", "TokenLogprob", "build_llm", "chat", "describe_llm",
           "public_url", "stream_chat"]

log = logging.getLogger(__name__)

OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, the client wants one
TEMPERATURE = 0.1  # low, for answers that stay close to the passages
RETRIED_STATUSES = frozenset({408, 409, 429})  # plus every 5xx, as the openai client does
STATUS_HINTS = {
    401: " (check OPENAI_API_KEY)",
    403: " (check OPENAI_API_KEY)",
    404: " (check OPENAI_BASE_URL and RAG_LLM_MODEL)",
    429: " (rate limited)",
}

TokenLogprob = tuple[str, float]  # a generated token and the natural log of its probability

# ("chunk", delta, finish_reason) | ("usage", ModelUsage) | ("logprobs", [(token, logprob), ...]) | ("done", text)
# | ("end",) | ("error", exception)
Event = tuple[Any, ...]


class Message(Protocol):
    """One chat message: a role ("system", "user", "assistant") and its text."""

    @property
    def role(self) -> str | Enum: ...

    @property
    def content(self) -> str | None: ...


@dataclass(frozen=True)
class ChatTurn:
    """A message we write ourselves (prompts); anything with `role` and `content` will do."""

    role: str
    content: str


@dataclass(frozen=True)
class ModelUsage:
    """What a server reported of one streamed reply."""

    prompt_tokens: int
    cached_tokens: int  # of the prompt's, served from the server's prompt cache (0 when it does not say)
    completion_tokens: int
    prompt_ms: float | None = None  # the server's own time reading the prompt (llama.cpp's `timings`)

    def as_dict(self) -> dict[str, float]:
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class ChatModel:
    """An openai client bound to one model; the client carries the timeout and retry count."""

    client: openai.OpenAI
    model: str
    budget: Budget


def build_llm(settings: Settings) -> ChatModel:
    """The configured model server as a `ChatModel`; `ConfigError` when none is configured."""
    import openai

    endpoint = _endpoint(settings)
    if endpoint is None:
        raise ConfigError(
            "No LLM configured: set OPENAI_BASE_URL and RAG_LLM_MODEL for an OpenAI-compatible "
            "server, or OPENAI_API_KEY for OpenAI."
        )
    model, base_url = endpoint
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else NO_KEY
    client = openai.OpenAI(
        api_key=key, base_url=base_url, timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )
    budget = Budget(public_url(base_url), settings.llm_timeout_s, settings.llm_max_retries)
    return ChatModel(client, model, budget)


def describe_llm(settings: Settings) -> str:
    """A one-line, secret-free label for the answer mode, e.g. 'llm: qwen2.5 @ http://host/v1'."""
    endpoint = _endpoint(settings)
    if endpoint is None:
        return "extractive: no LLM configured"
    model, base_url = endpoint
    return f"llm: {model} @ {public_url(base_url)}"


def chat(llm: ChatModel, messages: Sequence[Message]) -> str:
    """The model's full reply to `messages`; `LLMUnavailableError` on any failure or deadline."""
    budget = llm.budget
    events: queue.Queue[Event] = queue.Queue()

    def call() -> None:
        try:
            response = llm.client.chat.completions.create(
                model=llm.model, messages=_payload(messages), temperature=TEMPERATURE
            )
            events.put(("done", response.choices[0].message.content or ""))  # "" comes as None
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
            events.put(("error", exc))

    _spawn(call)
    event = _next_event(events, budget.deadline_s, budget)
    if event[0] == "error":
        raise _unavailable(event[1], budget, budget.deadline_s, streaming=False)
    return str(event[1])


def stream_chat(llm: ChatModel, messages: Sequence[Message], on_usage: Callable[[ModelUsage], None] | None = None,
                *, on_logprobs: Callable[[list[TokenLogprob]], None] | None = None, **options: Any) -> Iterator[str]:
    """Yield the reply's text deltas as they arrive; `LLMUnavailableError` on any failure.

    The request starts on the first `next()`. Stopping early (break/close) abandons the stream.
    `options` (e.g. temperature, max_tokens) are sent with the request. `on_usage` is called with
    the server's token counts when it reports them, before the stream ends; `on_logprobs`, when
    given, asks for the tokens' log-probabilities and is called with each chunk's.
    """
    events: queue.Queue[Event] = queue.Queue()
    cancel = threading.Event()
    if on_logprobs is not None:
        options = {**options, "logprobs": True, "top_logprobs": 1}
    _spawn(lambda: _produce(llm, messages, events, cancel, options))
    try:
        yield from _consume(events, llm.budget, on_usage, on_logprobs)
    finally:
        cancel.set()


def public_url(url: str) -> str:
    """`url` without credentials, query or trailing slash, fit for messages and badges."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


@dataclass(frozen=True)
class Budget:
    """How long one call may take, and where it goes, for deadlines and messages."""

    url: str
    timeout_s: float
    retries: int

    @property
    def deadline_s(self) -> float:
        return self.timeout_s * (self.retries + 1)


def _endpoint(settings: Settings) -> tuple[str, str] | None:
    """(model, base URL) for the configured LLM, if any."""
    if settings.openai_base_url and settings.llm_model:
        return settings.llm_model, settings.openai_base_url
    if settings.openai_api_key:
        base_url = settings.openai_base_url or OPENAI_DEFAULT_BASE_URL
        return settings.llm_model or OPENAI_DEFAULT_MODEL, base_url
    return None


def _payload(messages: Sequence[Message]) -> list[ChatCompletionMessageParam]:
    """The openai wire format; a role may be a str enum (llama-index's `ChatMessage`)."""
    return [
        cast("ChatCompletionMessageParam",
             {"role": str(getattr(m.role, "value", m.role)), "content": m.content or ""})
        for m in messages
    ]


def _spawn(target: Callable[[], None]) -> None:
    """Run `target` in a daemon thread that keeps this thread's context (instrumentation)."""
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(target,), daemon=True, name="rag-llm").start()


def _produce(
    llm: ChatModel, messages: Sequence[Message], events: queue.Queue[Event], cancel: threading.Event,
    options: dict[str, Any],
) -> None:
    """Worker thread: forward each streamed chunk as an event, then "end" or "error"."""
    try:
        stream = llm.client.chat.completions.create(
            model=llm.model, messages=_payload(messages), stream=True, stream_options={"include_usage": True},
            **{"temperature": TEMPERATURE, **options}
        )
        for chunk in stream:
            if cancel.is_set():
                stream.close()
                return
            usage = _usage(chunk)
            if usage is not None:
                events.put(("usage", usage))
            choice = chunk.choices[0] if chunk.choices else None
            logprobs = _token_logprobs(choice)
            if logprobs:
                events.put(("logprobs", logprobs))
            delta = choice.delta.content if choice and choice.delta else None
            events.put(("chunk", delta or "", choice.finish_reason if choice else None))
        events.put(("end",))
    except Exception as exc:  # noqa: BLE001 - handed to the consumer
        events.put(("error", exc))


def _token_logprobs(choice: Any) -> list[TokenLogprob]:
    """The (token, log-probability) pairs a streamed choice carries; none when the server sent none."""
    content = getattr(getattr(choice, "logprobs", None), "content", None) or []
    return [(str(t.token), float(t.logprob)) for t in content if isinstance(getattr(t, "logprob", None), (int, float))]


def _usage(chunk: Any) -> ModelUsage | None:
    """The token counts a chunk carries (the last one, when asked for), with llama.cpp's timings."""
    usage = getattr(chunk, "usage", None)
    if usage is None:
        return None
    details = getattr(usage, "prompt_tokens_details", None)
    timings = (getattr(chunk, "model_extra", None) or {}).get("timings")
    prompt_ms = timings.get("prompt_ms") if isinstance(timings, dict) else None
    return ModelUsage(int(usage.prompt_tokens or 0), int(getattr(details, "cached_tokens", None) or 0),
                      int(usage.completion_tokens or 0),
                      round(float(prompt_ms), 1) if isinstance(prompt_ms, (int, float)) else None)


def _consume(events: queue.Queue[Event], budget: Budget, on_usage: Callable[[ModelUsage], None] | None = None,
             on_logprobs: Callable[[list[TokenLogprob]], None] | None = None) -> Iterator[str]:
    """Yield deltas; the first chunk may take the whole deadline, later ones `timeout_s` each."""
    wait, finished = budget.deadline_s, False
    while True:
        event = _next_event(events, wait, budget)
        if event[0] == "usage":
            if on_usage is not None:
                on_usage(event[1])
            continue
        if event[0] == "logprobs":
            if on_logprobs is not None:
                on_logprobs(event[1])
            continue
        if event[0] == "error":
            raise _unavailable(event[1], budget, budget.timeout_s, streaming=True)  # a stream is not retried
        if event[0] == "end":
            if not finished:
                raise _fail(budget, "stream ended early (no finish_reason)")
            return
        _, delta, finish_reason = event
        finished = finished or finish_reason is not None
        wait = budget.timeout_s
        if delta:
            yield delta


def _next_event(events: queue.Queue[Event], wait_s: float, budget: Budget) -> Event:
    try:
        return events.get(timeout=wait_s)
    except queue.Empty:
        raise _fail(budget, f"timed out after {wait_s:.1f} s") from None


def _fail(budget: Budget, reason: str) -> LLMUnavailableError:
    message = f"model server at {budget.url} {reason}"
    log.warning("%s", message)
    return LLMUnavailableError(message)


def _unavailable(
    exc: BaseException, budget: Budget, limit_s: float, streaming: bool
) -> LLMUnavailableError:
    """`limit_s` is the client's limit that ran out, reported instead of the measured wait,
    which thread scheduling blurs by a few tenths."""
    error = _fail(budget, _reason(exc, budget, limit_s, streaming))
    error.__cause__ = exc
    return error


def _reason(exc: BaseException, budget: Budget, limit_s: float, streaming: bool) -> str:
    """A few words on what went wrong, from the openai/httpx exception."""
    import httpx
    import openai

    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
        return f"timed out after {limit_s:.1f} s"
    if isinstance(exc, openai.APIConnectionError):
        return _connection_reason(exc.__cause__)
    if isinstance(exc, openai.APIStatusError):
        return _status_reason(exc.status_code, budget.retries)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "stream ended early" if streaming else "dropped the connection mid-response"
    if isinstance(exc, openai.APIError):
        return "reported an error"
    if isinstance(exc, (ValueError, TypeError, KeyError, IndexError, AttributeError)):
        return "sent a malformed response"
    return f"failed ({type(exc).__name__})"


def _connection_reason(cause: BaseException | None) -> str:
    import httpx

    if isinstance(cause, httpx.ConnectError):
        refused = "refused" in str(cause).lower()
        return "refused the connection" if refused else "could not be reached"
    return "dropped the connection"


def _status_reason(status: int, retries: int) -> str:
    retried = status in RETRIED_STATUSES or status >= 500
    attempts = retries + 1 if retried else 1
    after = f" after {attempts} attempts" if attempts > 1 else ""
    return f"returned HTTP {status}{STATUS_HINTS.get(status, '')}{after}"
