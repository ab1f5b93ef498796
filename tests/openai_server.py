"""A real OpenAI-compatible chat server on 127.0.0.1 for offline tests.

Why a real server rather than a patched client: the failures `rag.generate.client` must survive (a hang, a
429 with Retry-After, a malformed body, a stream cut mid-way) live in the HTTP layer, so the
tests drive the real openai client over a real socket. Built on `http.server` so a fault can
close the socket at exactly the byte it wants to.

    with OpenAIServer() as server:
        server.reply = lambda body: "Paris."
        server.fail_next("status", times=1, status=429, retry_after=1)
        ...  # point a client at server.url
        assert server.requests[-1]["messages"][-1]["content"] == "..."
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

FaultMode = Literal["hang", "status", "malformed", "cut_stream"]
Reply = Callable[[dict[str, Any]], str]

DEFAULT_REPLY = "This is the test model's answer."


@dataclass
class Fault:
    """One scripted failure, applied to the next `times` chat requests."""

    mode: FaultMode
    times: int
    status: int = 500
    retry_after: float | None = None
    seconds: float = 5.0  # hang
    chunks: int = 2  # cut_stream: content chunks sent before the cut
    graceful: bool = False  # cut_stream: end the HTTP body cleanly, still without finish/[DONE]


class OpenAIServer:
    """Serves `POST /v1/chat/completions` (JSON or SSE) and `GET /v1/models` from a thread."""

    def __init__(self, model: str = "test-model") -> None:
        self.model = model
        self.reply: Reply = lambda body: DEFAULT_REPLY
        self.chunk_delay = 0.0  # seconds between streamed chunks, to model a slow model
        self.reports_usage = True  # a stream asking for usage gets a last chunk with token counts
        self.token_logprob = -0.25  # each streamed piece's log-probability, sent when `logprobs` is asked for
        self.requests: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL for an OpenAI client, ending in /v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def fail_next(
        self,
        mode: FaultMode,
        times: int = 1,
        *,
        status: int = 500,
        retry_after: float | None = None,
        seconds: float = 5.0,
        chunks: int = 2,
        graceful: bool = False,
    ) -> None:
        """Make the next `times` chat requests fail in `mode`; later requests answer normally."""
        fault = Fault(mode, times, status, retry_after, seconds, chunks, graceful)
        with self._lock:
            self._faults.append(fault)

    def stop(self) -> None:
        """Stop serving, wake any hanging handler and drop open connections."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            _close_quietly(conn)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            return fault

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, owner: OpenAIServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client gave up on a hanging or cut request (the point of a fault)."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like real servers
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.owner._lock:
            self.server.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            return self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})
        model = {"id": self.server.owner.model, "object": "model", "created": 0, "owned_by": "test"}
        self._send_json(200, {"object": "list", "data": [model]})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})
        owner = self.server.owner
        body = json.loads(raw or b"{}")
        owner._record(body)
        fault = owner._take_fault()
        if fault and fault.mode == "hang" and owner._stopping.wait(fault.seconds):
            return self._drop()
        if fault and fault.mode == "status":
            return self._send_status_error(fault)
        if fault and fault.mode == "malformed":
            return self._send_malformed(bool(body.get("stream")))
        text = owner.reply(body)
        if body.get("stream"):
            cut = fault if fault and fault.mode == "cut_stream" else None
            return self._send_stream(text, cut)
        self._send_json(200, _completion(owner.model, text))

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_status_error(self, fault: Fault) -> None:
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        error = {"message": f"scripted HTTP {fault.status}", "type": "test_fault", "code": None}
        self._send_json(fault.status, {"error": error}, headers)

    def _send_malformed(self, stream: bool) -> None:
        if stream:
            self._start_stream()
            self._send_chunk(b'data: {"id": "chatcmpl-bad", "choices": [\n\n')
            self._send_chunk(b"data: [DONE]\n\n")
            return self._send_chunk(b"")
        data = b'{"id": "chatcmpl-bad", "choices": [{"message": '
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, text: str, cut: Fault | None) -> None:
        model = self.server.owner.model
        self._start_stream()
        self._send_event(_chunk(model, {"role": "assistant", "content": ""}))
        pieces = _split_words(text)
        logprob = self.server.owner.token_logprob if self.server.owner.requests[-1].get("logprobs") else None
        for index, piece in enumerate(pieces):
            if cut and index >= cut.chunks:
                return self._cut(cut)
            scored = None if logprob is None else [(piece, logprob)]
            self._send_event(_chunk(model, {"content": piece}, logprobs=scored))
        if cut:
            return self._cut(cut)
        self._send_event(_chunk(model, {}, finish_reason="stop"))
        asked = (self.server.owner.requests[-1].get("stream_options") or {}).get("include_usage")
        if asked and self.server.owner.reports_usage:
            self._send_event(_usage_chunk(model, self.server.owner.requests[-1], pieces))
        self._send_chunk(b"data: [DONE]\n\n")
        self._send_chunk(b"")

    def _cut(self, fault: Fault) -> None:
        if fault.graceful:
            return self._send_chunk(b"")  # a complete HTTP body without finish_reason/[DONE]
        self._drop()

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_event(self, payload: dict[str, Any]) -> None:
        if self.server.owner._stopping.wait(self.server.owner.chunk_delay):
            return self._drop()
        self._send_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket abruptly, mid-message."""
        self.close_connection = True
        self.wfile.flush()
        _close_quietly(self.connection)


def _completion(model: str, text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _usage_chunk(model: str, body: dict[str, Any], pieces: list[str]) -> dict[str, Any]:
    """OpenAI's last chunk of a stream asked for usage: no choices, the counts (words stand for tokens)."""
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": len(pieces),
                                     "total_tokens": prompt + len(pieces),
                                     "prompt_tokens_details": {"cached_tokens": 0}}}


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None,
           logprobs: list[tuple[str, float]] | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    if logprobs is not None:  # OpenAI's shape: each token with its log-probability and its best alternatives
        choice["logprobs"] = {"content": [{"token": token, "logprob": value, "bytes": None,
                                           "top_logprobs": [{"token": token, "logprob": value, "bytes": None}]}
                                          for token, value in logprobs]}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
    }


def _split_words(text: str) -> list[str]:
    """Split into word-sized pieces that join back to exactly `text`."""
    pieces = [word + " " for word in text.split(" ")]
    pieces[-1] = pieces[-1][:-1]
    return [piece for piece in pieces if piece]


def _close_quietly(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
