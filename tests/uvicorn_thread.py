"""Run a uvicorn server in a thread on an ephemeral loopback port, for tests of the HTTP API."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from rag.api import Rag


@contextmanager
def running(server: uvicorn.Server) -> Iterator[str]:
    """Start `server`, yield its base URL, and stop it afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 60 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextmanager
def running_api(rag: Rag) -> Iterator[str]:
    """`ui.server.create_server(rag)` under uvicorn in a thread on an ephemeral loopback port."""
    from ui.server import create_server

    config = uvicorn.Config(create_server(rag), log_level="warning", access_log=False)
    with running(uvicorn.Server(config)) as url:
        yield url
