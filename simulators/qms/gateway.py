"""The HTTP front of the QMS web services (ASGI), in front of the spyne WSGI application.

It does what the application server of a real QMS does before SOAP is parsed: routes one path,
serves the WSDL to anyone, demands HTTP basic auth for operations (401 with a SOAP Fault body and
`WWW-Authenticate`), and it is where the injected faults that live at HTTP level happen: latency,
SOAP Server faults (HTTP 500) and malformed replies (truncated XML, or the wrong envelope namespace).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from a2wsgi import WSGIMiddleware

from simulators.common.faults import Faults
from simulators.qms.credentials import Credentials

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
Message = dict[str, Any]
Receive = Any
Send = Any


def fault_envelope(code: str, text: str) -> bytes:
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<soap11env:Envelope xmlns:soap11env=\"{SOAP11_ENV}\">"
            f"<soap11env:Body><soap11env:Fault><faultcode>soap11env:{escape(code)}</faultcode>"
            f"<faultstring>{escape(text)}</faultstring></soap11env:Fault></soap11env:Body>"
            "</soap11env:Envelope>").encode()


class SoapGateway:
    def __init__(self, wsgi_app: Any, path: str, credentials: Credentials, faults: Faults) -> None:
        self.inner: Any = WSGIMiddleware(wsgi_app, workers=8)
        self.path, self.credentials, self.faults = path, credentials, faults

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await self.faults.delay()
        if scope["path"].rstrip("/") != self.path:
            await _respond(send, 404, b"Not Found: the QMS web services are at " + self.path.encode(), "text/plain")
            return
        if scope["method"] != "POST":  # the WSDL (?wsdl) and spyne's own 405 for other GETs: no auth needed
            await self.inner(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.credentials.check(headers.get("authorization")) is None:
            await _respond(send, 401, fault_envelope("Client.Authentication", "HTTP basic authentication required: "
                                                     "credentials missing or not valid"),
                           extra=[(b"www-authenticate", b'Basic realm="QMS Web Services"')])
            return
        body = await _read_body(receive)
        if not body.strip():
            await _respond(send, 500, fault_envelope("Client.EmptyRequest", "the request has no SOAP envelope"))
            return
        if self.faults.error():
            await _respond(send, 500, fault_envelope("Server.Unavailable", "QMS database is not available "
                                                     "(connection pool exhausted); try again later"))
            return
        status, payload = await self._call_inner(scope, body, receive)
        if status == 200 and self.faults.malformed():
            payload = self._mangle(payload)
        await _respond(send, status, payload)

    async def _call_inner(self, scope: dict[str, Any], body: bytes, receive: Receive) -> tuple[int, bytes]:
        """Run spyne on the already-read body and collect its whole answer (SOAP replies are small)."""
        delivered = False
        status, chunks = 500, bytearray()

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                message: Message = await receive()  # waits for the client to go away
                return message
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def collect(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunks.extend(message.get("body", b""))

        await self.inner(scope, replay, collect)
        return status, bytes(chunks)

    def _mangle(self, payload: bytes) -> bytes:
        """Half of the malformed replies are cut off mid-document, half carry the SOAP 1.2 envelope namespace."""
        if self.faults.random.random() < 0.5:
            return payload[: max(1, len(payload) // 2)]
        return payload.replace(SOAP11_ENV.encode(), SOAP12_ENV.encode())


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            return bytes(body)


async def _respond(send: Send, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8",
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
