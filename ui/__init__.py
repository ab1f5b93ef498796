"""The interfaces: the chat page, the HTTP APIs beside it, and the `rag` command line.

    render.py         escaped HTML for answers, sources, retrieval details and the article panel
    chat.py           one conversation turn at a time: history, filters, streaming into turns
    pump.py           a blocking answer stream in a worker thread, events handed over
    feedback.py       thumbs up/down appended as JSONL lines
    uploads.py        save uploaded files under the index and ingest them incrementally
    theme.py          the page's theme (font faces that hold every letter)
    static/           the page's CSS and JS
    app.py            the Gradio page: layout and events (`build_app`)
    answer_stream.py  one answer as async events, shared by both streaming APIs
    sse.py            server-sent events on the wire
    markdown.py       an answer as Markdown with a source list, for chat clients
    api_models.py     schemas of `/api/*` (and the citations `/v1/*` reuses)
    api_routes.py     `/api/ask`, `/api/articles`, `/api/ingest`, `/api/health`
    openai_models.py  schemas of `/v1/*`, on the `openai` package's own types
    openai_api.py     `/v1/models`, `/v1/chat/completions`, OpenAI-shaped errors
    http_errors.py    which HTTP status each `RagError` gets
    auth.py           `RAG_AUTH`: Basic or Bearer on every path
    server.py         FastAPI wiring: the APIs, `/docs`, the page at `/`, `serve`
    cli.py            `rag ingest|ask|chat|serve|eval|bench`: the one place that wires ingest, serve and eval

Gradio is imported only by `app.py`, `theme.py` and `server.py`, so the pure modules stay cheap to test.
"""
