"""Calling the synchronous spyne WSGI application from the asynchronous HTTP front.

Each request runs the whole WSGI call, body included, in one worker thread and hands back the
complete answer: SOAP requests and replies are small, and a single hand-off keeps concurrent calls
independent. (A per-chunk bridge between thread and event loop, as a2wsgi does, stalled when the
adapter's feed, audit and command calls arrived together.)
"""

from __future__ import annotations

import asyncio
import io
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Headers = list[tuple[bytes, bytes]]


def environ_for(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    """PEP 3333 environ of an ASGI HTTP scope whose body was already read."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"], "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}", "REMOTE_ADDR": str(client[0]),
        "CONTENT_LENGTH": str(len(body)), "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1").upper().replace("-", "_"), raw_value.decode("latin-1")
        if name == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif name != "CONTENT_LENGTH":
            key = f"HTTP_{name}"
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
    """Run a WSGI application to the end: status, headers and the whole body."""
    started: list[tuple[int, Headers]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [(int(status.split(" ", 1)[0]),
                       [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers])]
        return chunks.append

    chunks: list[bytes] = []
    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, headers = started[0] if started else (500, [])
    return status, headers, b"".join(chunks)


class WsgiBridge:
    def __init__(self, app: Any, workers: int = 8) -> None:
        self.app, self.workers = app, workers
        self._executor: ThreadPoolExecutor | None = None

    async def __call__(self, scope: dict[str, Any], body: bytes) -> tuple[int, Headers, bytes]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="qms-soap")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, call_wsgi, self.app, environ_for(scope, body))

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
