"""Injected faults as an HTTP client of the MES sees them.

latency: every answer is delayed; error: 503 Service Unavailable with a problem body (nothing is
changed); malformed: the real answer is cut in half (a truncated JSON or XML body with its own status
code). The OpenAPI document is never corrupted, so clients can always learn the API.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulators.common.faults import Faults
from simulators.mes.problems import PROBLEM_JSON

EXEMPT = frozenset({"/openapi.json"})


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.faults.delay()
        if scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
        elif self.faults.error():
            await self._unavailable(send)
        elif self.faults.malformed():
            await self._truncated(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _unavailable(self, send: Send) -> None:
        body = json.dumps({"type": "urn:mes:problem:service-unavailable", "title": "Service Unavailable",
                           "status": 503, "detail": "the MES application server is temporarily unavailable"}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"retry-after", b"1"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        cut = body[: len(body) // 2]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": start.get("status", 200),
                    "headers": [*headers, (b"content-length", str(len(cut)).encode())]})
        await send({"type": "http.response.body", "body": cut})
