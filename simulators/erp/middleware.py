"""The ERP's front door: injected faults and authentication, before any business code runs.

Faults act at the HTTP level as a struggling SAP gateway would show them: slow answers, 503/500
problem responses (before anything is changed, so a retry is safe), and 200 answers whose JSON is
cut off. The OpenAPI document is exempt from all but latency, so clients can always discover the API.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulators.common.faults import Faults
from simulators.erp.auth import Credentials
from simulators.erp.problems import problem_body

PUBLIC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


class ErpGateway:
    def __init__(self, app: ASGIApp, faults: Faults, credentials: Credentials) -> None:
        self.app, self.faults, self.credentials = app, faults, credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.faults.delay()
        path = scope["path"]
        if path in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if self.faults.error():
            status = 503 if self.faults.random.random() < 0.7 else 500
            await _problem(send, status, "service_unavailable" if status == 503 else "internal_error",
                           "injected fault: the ERP could not process the request; nothing was changed", path,
                           [(b"retry-after", b"1")] if status == 503 else [])
            return
        headers = dict(scope.get("headers") or [])
        user = self.credentials.authenticate(headers.get(b"authorization", b"").decode("latin-1"))
        if user is None:
            await _problem(send, 401, "unauthorized", "send HTTP Basic credentials or a bearer token", path,
                           [(b"www-authenticate", b'Basic realm="ERP", Bearer realm="ERP"')])
            return
        scope.setdefault("state", {})["user"] = user
        if self.faults.malformed():
            send = _truncating(send)
        await self.app(scope, receive, send)


async def _problem(send: Send, status: int, code: str, detail: str, path: str,
                   headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(problem_body(status, code, detail, path)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _truncating(send: Send) -> Send:
    """Buffer the answer and deliver only the first half of its body, with its status and a matching length."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        body = body[: max(1, len(body) // 2)] if body else body
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return wrapped
