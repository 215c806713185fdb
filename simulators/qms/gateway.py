"""The HTTP front of the QMS web services (ASGI), in front of the spyne WSGI application.

It does what the application server of a real QMS does before SOAP is parsed: routes one path,
serves the WSDL to anyone, demands HTTP basic auth for operations (401 with a SOAP Fault body and
`WWW-Authenticate`), and it is where the injected faults that live at HTTP level happen: latency,
SOAP Server faults (HTTP 500) and malformed replies (truncated XML, or the wrong envelope namespace).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from simulators.common.faults import Faults
from simulators.qms.credentials import Credentials
from simulators.qms.wsgi_bridge import WsgiBridge

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
        self.inner = WsgiBridge(wsgi_app)
        self.path, self.credentials, self.faults = path, credentials, faults

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await self.faults.delay()
        if scope["path"].rstrip("/") != self.path:
            await _respond(send, 404, b"Not Found: the QMS web services are at " + self.path.encode(), "text/plain")
            return
        if scope["method"] != "POST":  # the WSDL (?wsdl) and spyne's own 405 for other GETs: no auth needed
            status, own_headers, payload = await self.inner(scope, await _read_body(receive))
            await _respond(send, status, payload, extra=[h for h in own_headers if h[0] != b"content-length"],
                           content_type=None)
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
        status, _, payload = await self.inner(scope, body)
        if status == 200 and self.faults.malformed():
            payload = self._mangle(payload)
        await _respond(send, status, payload)

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


async def _respond(send: Send, status: int, body: bytes, content_type: str | None = "text/xml; charset=utf-8",
                   extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """`content_type=None`: the headers in `extra` (the application's own) say it."""
    headers = [(b"content-length", str(len(body)).encode()), *(extra or [])]
    if content_type is not None:
        headers.insert(0, (b"content-type", content_type.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
