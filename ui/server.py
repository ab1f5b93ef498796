"""FastAPI: the chat page at `/` for people, and for programs the JSON API (`/api/*`) and the
OpenAI-compatible endpoint (`/v1/*`), documented at `/docs`, in one process.

Binding beyond loopback exposes the index and the model to the network, so `serve` refuses to
do it unless `RAG_AUTH=user:password` is set; when it is set, one middleware (`ui.auth`) guards
every path (page, Gradio's own API, uploads, `/api/*`, `/v1/*`, `/docs`), on loopback too.

Concurrency: `Rag` documents itself as safe to share between threads (components are built once
under a lock; queries only read them), and `tests/test_load.py` runs 32 concurrent clients
against it, so requests are not serialised here. `create_server` builds the heavy components
before the first request so concurrent first requests don't race to load models.
"""

from __future__ import annotations

import ipaddress
import logging

import gradio as gr
import uvicorn
from fastapi import FastAPI

from rag.api import Rag
from rag.core.errors import ConfigError, RagError
from rag.core.settings import Settings
from ui import openai_api
from ui.api_routes import api_router
from ui.app import CSS_PATH, build_app
from ui.auth import AuthMiddleware, parse_auth
from ui.theme import theme
from ui.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)


def create_server(rag: Rag) -> FastAPI:
    """The APIs and the page around one `Rag`; credentials on everything when `settings.auth` is set."""
    app = FastAPI(title="News RAG", summary="Answers from news articles, with cited sources.",
                  docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.include_router(api_router(rag))
    openai_api.install(app, rag)
    _warm_up(rag)
    gr.mount_gradio_app(
        app, build_app(rag), path="/", theme=theme(), css_paths=[CSS_PATH], footer_links=[],
        run_history=False, max_file_size=MAX_UPLOAD_BYTES, show_error=True,
    )
    if rag.settings.auth is not None:
        user, password = parse_auth(rag.settings.auth.get_secret_value())
        app.add_middleware(AuthMiddleware, user=user, password=password)
    return app


def _warm_up(rag: Rag) -> None:
    """Load models and indexes now, so 32 first requests don't all wait on (or race for) them."""
    try:
        rag.articles()
        rag.warm_up()
    except RagError as exc:  # an empty index is fine: the page says how to add articles
        log.info("warm-up skipped: %s", exc)


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


def make_server(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, *, rag: Rag | None = None
) -> uvicorn.Server:
    """An unstarted uvicorn server for the page and API; `serve` runs it, tests run it in a thread."""
    check_bind(settings, host)
    app = create_server(rag or Rag(settings))
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False)
    return uvicorn.Server(config)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat page at `/`, `/api/*`, `/v1/*` and `/docs` until interrupted."""
    server = make_server(settings, host, port)
    auth = "credentials required" if settings.auth is not None else "no auth (loopback only)"
    log.warning("News RAG on http://%s:%d (%s)", host, port, auth)
    server.run()
