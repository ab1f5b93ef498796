"""`rag mcp`: the news index as a Model Context Protocol server, with the official `mcp` SDK.

Desktop assistants, IDE agents and chat front ends reach knowledge sources through MCP tool
servers. Three tools: `search_news` (passages with their citation fields, optionally within a
date range), `ask_news` (an answer with citations, in the configured answer mode, as `rag ask`
gives it) and `list_articles`. The default transport is stdio, which a desktop client starts as a
subprocess (README, "Your own news"). `--http` serves streamable HTTP instead, under the rule the
chat page and API follow (`ui.server.check_bind`, `ui.auth`): beyond loopback only with
`RAG_AUTH=user:password`, and then every request needs those credentials (Basic, or the password
as a Bearer token).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field
from starlette.types import ASGIApp

from rag.api import Rag
from rag.core.errors import RagError
from rag.core.settings import Settings
from rag.core.types import Passage, SearchFilter
from ui.api_models import ArticlesResponse, AskResponse

INSTRUCTIONS = (
    "Search and answer from the news articles this server has ingested. Cite what you use by its "
    "title, outlet, date and source. Dates are ISO (2024-01-30)."
)


class NewsPassage(BaseModel):
    """A retrieved passage with what citing it needs."""

    text: str
    title: str
    outlet: str
    date: str = Field(description="the article's publication date, ISO; empty when unknown")
    source: str = Field(description="the file, URL or dump line the article came from")
    byline: str
    chunk_id: str
    article_id: str
    score: float = Field(description="fused dense + keyword score; passages come best first")
    also_reported_by: list[str] = Field(default_factory=list, description="outlets that ran the same passage")

    @classmethod
    def of(cls, p: Passage) -> NewsPassage:
        also = sorted({ref.outlet or ref.source for ref in p.duplicates})
        return cls(text=p.text, title=p.title, outlet=p.outlet, date=p.date, source=p.source, byline=p.byline,
                   chunk_id=p.chunk_id, article_id=p.article_id, score=p.score, also_reported_by=also)


class SearchResult(BaseModel):
    passages: list[NewsPassage]


@contextmanager
def _told() -> Iterator[None]:
    """A `RagError` (empty question, no index yet) reaches the client as a tool error with its
    message; the SDK would report any other exception as a crash without saying what happened."""
    try:
        yield
    except RagError as exc:
        raise ToolError(str(exc)) from None


def build_server(rag: Rag) -> MCPServer:
    """An MCP server whose tools read `rag`'s index."""
    server = MCPServer("news-rag", instructions=INSTRUCTIONS)

    @server.tool()
    def search_news(query: str, k: int = 5, since: date | None = None, until: date | None = None) -> SearchResult:
        """Passages about `query` from the news articles, best first, each with title, outlet, date
        and source to cite; `since` and `until` (ISO dates, inclusive) keep articles of that period."""
        window = SearchFilter(date_from=since.isoformat() if since else None,
                              date_to=until.isoformat() if until else None)
        with _told():
            passages = rag.retrieve(query, max(1, min(k, 50)), filters=None if window.is_empty() else window)
        return SearchResult(passages=[NewsPassage.of(p) for p in passages])

    @server.tool()
    def ask_news(question: str, as_of: date | None = None) -> AskResponse:
        """Answer `question` from the articles with numbered citations, or abstain when they do not
        say; `as_of` is the day it is asked on (default today), so "this week" means that week."""
        with _told():
            return AskResponse.of(rag.ask(question, as_of=as_of))

    @server.tool()
    def list_articles() -> ArticlesResponse:
        """Every ingested article (title, outlet, date, byline, source), newest first."""
        with _told():
            return ArticlesResponse.of(rag.articles())

    return server


def serve_stdio(settings: Settings) -> None:
    build_server(Rag(settings)).run("stdio")


def serve_http(settings: Settings, host: str, port: int) -> None:
    """Streamable HTTP at `/mcp`, behind the same credentials rule as `rag serve`."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(http_app(settings, host), host=host, port=port, log_level="warning")).run()


def http_app(settings: Settings, host: str, rag: Rag | None = None) -> ASGIApp:
    from ui.auth import AuthMiddleware, parse_auth
    from ui.server import check_bind

    check_bind(settings, host)
    app = build_server(rag or Rag(settings)).streamable_http_app(host=host)
    if settings.auth is None:
        return app
    user, password = parse_auth(settings.auth.get_secret_value())
    return AuthMiddleware(app, user=user, password=password)
