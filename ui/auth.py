"""`RAG_AUTH=user:password` in front of the whole app: the page, Gradio's API, `/api/*`, `/v1/*`, `/docs`.

Browsers and curl send HTTP Basic; OpenAI clients (the `openai` package, Open WebUI) can only send
`Authorization: Bearer <key>`, so the password alone is accepted as a bearer key. A refusal on
`/v1/*` is an OpenAI-shaped error and on `/api/*` FastAPI's `{"detail"}`, so clients show it;
elsewhere it is the plain Basic challenge a browser turns into a login prompt.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from rag.core.errors import ConfigError

_CHALLENGE = (b"www-authenticate", b'Basic realm="news-rag", charset="UTF-8"')


def parse_auth(value: str) -> tuple[str, str]:
    """Split `user:password`; the message never echoes the value."""
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("RAG_AUTH must look like user:password (both parts non-empty).")
    return user, password


class AuthMiddleware:
    """Basic or Bearer credentials on every request (HTTP and websocket), constant-time compare."""

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
        content_type, body = _refusal(scope.get("path", ""))
        await send({"type": "http.response.start", "status": 401,
                    "headers": [_CHALLENGE, (b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})

    def _authorised(self, scope: Scope) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return secrets.compare_digest(value.strip(), self._expected[1])
        if scheme.lower() != b"basic":
            return False
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        ok_user = secrets.compare_digest(user, self._expected[0])
        ok_password = secrets.compare_digest(password, self._expected[1])
        return bool(sep) and ok_user and ok_password


def _refusal(path: str) -> tuple[bytes, bytes]:
    message = "Authentication required: HTTP Basic user:password, or Authorization: Bearer <password>."
    if path.startswith("/v1/"):
        error = {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
        return b"application/json", json.dumps({"error": error}).encode()
    if path.startswith("/api/"):
        return b"application/json", json.dumps({"detail": message}).encode()
    return b"text/plain; charset=utf-8", b"Authentication required.\n"
