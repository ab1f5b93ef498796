"""The one place that talks to a model server.

Why this module exists: a model server fails in many ways (refused, hung, rate limited, 5xx,
garbage JSON, a stream cut mid-way), and callers only need to know "no answer from the model,
because ...", so they can fall back to an extractive answer. Every failure here therefore
becomes an `LLMUnavailableError` with a short reason, and no call outlives its deadline.

What we rely on, and what we add (verified against openai 2.54 / llama-index-llms-openai 0.8):
- The openai client retries connection errors, timeouts, 408/409/429 and 5xx itself, with
  exponential back-off from 0.5 s (cap 8 s), honouring `Retry-After`/`retry-after-ms` up to
  120 s. It is the only retry layer we use.
- llama-index wraps non-streaming calls in a second (tenacity) retry of `max_retries` attempts
  around the client's own retries: N x (N+1) requests and waits of up to 20 s. We switch that
  layer off (`max_retries=0` on the llama-index object) and hand it openai clients configured
  with the real retry count. (For streams that layer never applied: it wraps a lazy generator.)
- The client's `timeout` bounds each socket operation, not a call: a 429 with a long
  Retry-After, or a stream that trickles, can run far past it. So each call runs in a worker
  thread and we stop waiting after `timeout x (retries + 1)` (a stream: for the first chunk,
  then `timeout` between chunks; a stream that keeps producing text may run longer).
- The client ends a stream quietly when the connection closes cleanly without `[DONE]`, so we
  require a chunk with a `finish_reason` before calling a stream complete.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from rag.config import Settings
from rag.errors import ConfigError, LLMUnavailableError

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage

__all__ = ["build_llm", "chat", "describe_llm", "public_url", "stream_chat"]

log = logging.getLogger(__name__)

OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, the client wants one
DEFAULT_TIMEOUT_S = 60.0  # for LLMs that were not built here and carry no timeout
RETRIED_STATUSES = frozenset({408, 409, 429})  # plus every 5xx, as the openai client does
STATUS_HINTS = {
    401: " (check OPENAI_API_KEY)",
    403: " (check OPENAI_API_KEY)",
    404: " (check OPENAI_BASE_URL and RAG_LLM_MODEL)",
    429: " (rate limited)",
}

# ("chunk", delta, finish_reason) | ("done", text) | ("end",) | ("error", exception)
Event = tuple[Any, ...]


def build_llm(settings: Settings) -> LLM:
    """The llama-index LLM for the configured server; `ConfigError` when none is configured."""
    endpoint = _endpoint(settings)
    if endpoint is None:
        raise ConfigError(
            "No LLM configured: set OPENAI_BASE_URL and RAG_LLM_MODEL for an OpenAI-compatible "
            "server, or OPENAI_API_KEY for OpenAI."
        )
    model, base_url, compatible = endpoint
    kwargs = _client_kwargs(settings, base_url)
    if compatible:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(model=model, is_chat_model=True, **kwargs)
    from llama_index.llms.openai import OpenAI

    return OpenAI(model=model, **kwargs)


def describe_llm(settings: Settings) -> str:
    """A one-line, secret-free label for the answer mode, e.g. 'llm: qwen2.5 @ http://host/v1'."""
    endpoint = _endpoint(settings)
    if endpoint is None:
        return "extractive: no LLM configured"
    model, base_url, _ = endpoint
    return f"llm: {model} @ {public_url(base_url)}"


def chat(llm: LLM, messages: list[ChatMessage]) -> str:
    """The model's full reply to `messages`; `LLMUnavailableError` on any failure or deadline."""
    budget = _budget(llm)
    events: queue.Queue[Event] = queue.Queue()

    def call() -> None:
        try:
            events.put(("done", llm.chat(messages).message.content or ""))  # "" comes as None
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread
            events.put(("error", exc))

    _spawn(call)
    event = _next_event(events, budget.deadline_s, budget)
    if event[0] == "error":
        raise _unavailable(event[1], budget, budget.deadline_s, streaming=False)
    return str(event[1])


def stream_chat(llm: LLM, messages: list[ChatMessage], **options: Any) -> Iterator[str]:
    """Yield the reply's text deltas as they arrive; `LLMUnavailableError` on any failure.

    The request starts on the first `next()`. Stopping early (break/close) abandons the stream.
    `options` (e.g. temperature, max_tokens) are sent with the request.
    """
    budget = _budget(llm)
    events: queue.Queue[Event] = queue.Queue()
    cancel = threading.Event()
    _spawn(lambda: _produce(llm, messages, events, cancel, options))
    try:
        yield from _consume(events, budget, strict=_client_of(llm) is not None)
    finally:
        cancel.set()


def public_url(url: str) -> str:
    """`url` without credentials, query or trailing slash, fit for messages and badges."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


@dataclass(frozen=True)
class _Budget:
    """How long one call may take, and where it goes, for deadlines and messages."""

    url: str
    timeout_s: float
    retries: int

    @property
    def deadline_s(self) -> float:
        return self.timeout_s * (self.retries + 1)


def _endpoint(settings: Settings) -> tuple[str, str, bool] | None:
    """(model, base URL, is an OpenAI-compatible server) for the configured LLM, if any."""
    if settings.openai_base_url and settings.llm_model:
        return settings.llm_model, settings.openai_base_url, True
    if settings.openai_api_key:
        base_url = settings.openai_base_url or OPENAI_DEFAULT_BASE_URL
        return settings.llm_model or OPENAI_DEFAULT_MODEL, base_url, False
    return None


def _client_kwargs(settings: Settings, base_url: str) -> dict[str, Any]:
    """Constructor arguments: openai clients do the retrying, llama-index's own layer is off."""
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else NO_KEY
    options: dict[str, Any] = {
        "api_key": key,
        "base_url": base_url,
        "timeout": settings.llm_timeout_s,
        "max_retries": settings.llm_max_retries,
    }
    return {
        "api_key": key,
        "api_base": base_url,
        "timeout": settings.llm_timeout_s,
        "max_retries": 0,
        "openai_client": openai.OpenAI(**options),
        "async_openai_client": openai.AsyncOpenAI(**options),
    }


def _client_of(llm: LLM) -> Any | None:
    """The openai client behind a llama-index OpenAI/OpenAILike LLM; None for other LLMs."""
    get_client = getattr(llm, "_get_client", None)
    return get_client() if callable(get_client) else None


def _budget(llm: LLM) -> _Budget:
    """Read the timeout and retry count the openai client will really use."""
    client = _client_of(llm)
    timeout = getattr(client, "timeout", None) or getattr(llm, "timeout", None)
    timeout_s = getattr(timeout, "read", timeout)  # a float, or an httpx.Timeout
    retries = getattr(client, "max_retries", None)
    retries = getattr(llm, "max_retries", 0) if retries is None else retries
    url = str(getattr(llm, "api_base", None) or getattr(client, "base_url", "") or "(unknown)")
    return _Budget(public_url(url), float(timeout_s or DEFAULT_TIMEOUT_S), int(retries))


def _spawn(target: Callable[[], None]) -> None:
    """Run `target` in a daemon thread that keeps this thread's context (instrumentation)."""
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(target,), daemon=True, name="rag-llm").start()


def _produce(
    llm: LLM, messages: list[ChatMessage], events: queue.Queue[Event], cancel: threading.Event,
    options: dict[str, Any],
) -> None:
    """Worker thread: forward each streamed chunk as an event, then "end" or "error"."""
    try:
        for response in llm.stream_chat(messages, **options):
            if cancel.is_set():
                return
            events.put(("chunk", response.delta or "", _finish_reason(response.raw)))
        events.put(("end",))
    except Exception as exc:  # noqa: BLE001 - handed to the consumer
        events.put(("error", exc))


def _consume(events: queue.Queue[Event], budget: _Budget, strict: bool) -> Iterator[str]:
    """Yield deltas; the first chunk may take the whole deadline, later ones `timeout_s` each."""
    wait, finished = budget.deadline_s, False
    while True:
        event = _next_event(events, wait, budget)
        if event[0] == "error":
            raise _unavailable(event[1], budget, budget.timeout_s, streaming=True)  # a stream is not retried
        if event[0] == "end":
            if strict and not finished:
                raise _fail(budget, "stream ended early (no finish_reason)")
            return
        _, delta, finish_reason = event
        finished = finished or finish_reason is not None
        wait = budget.timeout_s
        if delta:
            yield delta


def _next_event(events: queue.Queue[Event], wait_s: float, budget: _Budget) -> Event:
    try:
        return events.get(timeout=wait_s)
    except queue.Empty:
        raise _fail(budget, f"timed out after {wait_s:.1f} s") from None


def _finish_reason(raw: Any) -> str | None:
    """The finish_reason of an openai ChatCompletionChunk, if it carries one."""
    choices = getattr(raw, "choices", None) or []
    return getattr(choices[0], "finish_reason", None) if choices else None


def _fail(budget: _Budget, reason: str) -> LLMUnavailableError:
    message = f"model server at {budget.url} {reason}"
    log.warning("%s", message)
    return LLMUnavailableError(message)


def _unavailable(
    exc: BaseException, budget: _Budget, limit_s: float, streaming: bool
) -> LLMUnavailableError:
    """`limit_s` is the client's limit that ran out, reported instead of the measured wait,
    which thread scheduling blurs by a few tenths."""
    error = _fail(budget, _reason(exc, budget, limit_s, streaming))
    error.__cause__ = exc
    return error


def _reason(exc: BaseException, budget: _Budget, limit_s: float, streaming: bool) -> str:
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
