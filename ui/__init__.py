"""The interfaces: the chat page, the HTTP API beside it, and the `rag` command line.

    render.py    escaped HTML for answers, sources, retrieval details and the article panel
    chat.py      one conversation turn at a time: history, filters, streaming into turns
    feedback.py  thumbs up/down appended as JSONL lines
    uploads.py   save uploaded files under the index and ingest them incrementally
    app.py       the Gradio page: layout and events (`build_app`)
    server.py    FastAPI: `POST /api/ask`, the page at `/`, auth, `serve`
    cli.py       `rag ingest|ask|chat|serve|eval|bench`: the one place that wires ingest, serve and eval

Gradio is imported only by `app.py` and `server.py`, so the pure modules stay cheap to test.
"""
