"""FastAPI: `POST /api/ask` for programs, the chat page at `/` for people, one process.

Binding beyond loopback exposes the index and the model to the network, so `serve` refuses to
do it unless `RAG_AUTH=user:password` is set; when it is set, HTTP Basic auth guards every path
(page, Gradio's own API, uploads, `/api/ask`) in one middleware, on loopback too.

Concurrency: `Rag` documents itself as safe to share between threads (components are built once
under a lock; queries only read them), and `tests/test_http_api.py` runs 32 concurrent clients
against it, so requests are not serialised here. `create_server` builds the heavy components
before the first request so concurrent first requests don't race to load models.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import secrets
from typing import Any, Literal

import gradio as gr
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from rag.api import Rag
from rag.index.errors import (
    ConfigError,
    IndexMissingError,
    IndexUnavailableError,
    InvalidQuestionError,
    RagError,
)
from rag.index.settings import Settings
from ui.app import CSS, build_app
from ui.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)


class HistoryMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: str = ""
    history: list[HistoryMessage] = Field(default_factory=list, max_length=100)


class AskResponse(BaseModel):
    text: str
    citations: list[dict[str, Any]]
    abstained: bool
    mode: str
    model: str | None
    notice: str


def create_server(rag: Rag) -> FastAPI:
    """The API and the page around one `Rag`; Basic auth on everything when `settings.auth` is set."""
    app = FastAPI(title="News RAG", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/api/ask", response_model=AskResponse)
    def ask(request: AskRequest) -> AskResponse:  # sync: FastAPI runs it in its thread pool
        history = [m.model_dump() for m in request.history]
        try:
            answer = rag.ask(request.question, history)
        except InvalidQuestionError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        except (IndexMissingError, IndexUnavailableError) as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        except RagError as exc:
            raise HTTPException(status_code=500, detail=str(exc)) from None
        data = answer.to_dict()
        return AskResponse(**{k: data[k] for k in AskResponse.model_fields})

    _warm_up(rag)
    gr.mount_gradio_app(
        app, build_app(rag), path="/", css=CSS, footer_links=[], run_history=False,
        max_file_size=MAX_UPLOAD_BYTES, show_error=True,
    )
    if rag.settings.auth is not None:
        user, password = parse_auth(rag.settings.auth.get_secret_value())
        app.add_middleware(BasicAuthMiddleware, user=user, password=password)
    return app


def _warm_up(rag: Rag) -> None:
    """Load models and indexes now, so 32 first requests don't all wait on (or race for) them."""
    try:
        rag.articles()
        rag.retrieve("warm up", 1)
    except RagError as exc:  # an empty index is fine: the page says how to add articles
        log.info("warm-up skipped: %s", exc)


def parse_auth(value: str) -> tuple[str, str]:
    """Split `user:password`; the message never echoes the value."""
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("RAG_AUTH must look like user:password (both parts non-empty).")
    return user, password


class BasicAuthMiddleware:
    """HTTP Basic auth in front of the whole app (HTTP and websocket), constant-time compare."""

    def __init__(self, app: ASGIApp, user: str, password: str) -> None:
        self.app = app
        self._expected = (user.encode(), password.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._authorised(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({
            "type": "http.response.start", "status": 401,
            "headers": [(b"www-authenticate", b'Basic realm="news-rag", charset="UTF-8"'),
                        (b"content-type", b"text/plain; charset=utf-8")],
        })
        await send({"type": "http.response.body", "body": b"Authentication required.\n"})

    def _authorised(self, scope: Scope) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, encoded = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        ok_user = secrets.compare_digest(user, self._expected[0])
        ok_password = secrets.compare_digest(password, self._expected[1])
        return bool(sep) and ok_user and ok_password


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1; anything else reaches the network."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings, host: str) -> None:
    """Refuse to expose the page and API beyond loopback without credentials."""
    if settings.auth is None and not is_loopback(host):
        raise ConfigError(
            f"Refusing to listen on {host}: that is reachable from the network and no credentials "
            "are set. Set RAG_AUTH=user:password (then the page and the API require it), or bind "
            "127.0.0.1."
        )
    if settings.auth is not None:
        parse_auth(settings.auth.get_secret_value())


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 7860, *, rag: Rag | None = None) -> uvicorn.Server:
    """An unstarted uvicorn server for the page and API; `serve` runs it, tests run it in a thread."""
    check_bind(settings, host)
    app = create_server(rag or Rag(settings))
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False)
    return uvicorn.Server(config)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat page at `/` and `POST /api/ask` until interrupted."""
    server = make_server(settings, host, port)
    auth = "Basic auth required" if settings.auth is not None else "no auth (loopback only)"
    log.warning("News RAG on http://%s:%d (%s)", host, port, auth)
    server.run()
