"""Run a blocking answer stream in a worker thread and hand its events to another thread or loop.

Both the chat page (`ui.chat.stream_turn`) and the HTTP streaming APIs (`ui.answer_stream`)
need this: `Rag.ask_stream` blocks on embedding, Chroma and the model, while the page must keep
polling Stop and the server must keep its event loop free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

END = object()  # handed over last, after the final event or an exception


def pump(open_stream: Callable[[], Iterator[object]], put: Callable[[object], None],
         abandon: threading.Event) -> None:
    """Start a daemon thread that calls `put` with each event, an exception if one escapes, then `END`.

    Setting `abandon` makes the thread close the stream at its next event.
    """

    def run() -> None:
        stream = open_stream()
        try:
            for event in stream:
                if abandon.is_set():
                    break
                put(event)
        except Exception as exc:  # noqa: BLE001 (handed to the consumer, which reports it)
            put(exc)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            put(END)

    threading.Thread(target=run, name="rag-answer", daemon=True).start()
