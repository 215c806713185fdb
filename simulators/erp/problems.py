"""RFC 9457 problem details for every error the ERP answers, so clients never parse HTML or guess.

Validation errors from FastAPI, routing errors from Starlette and the ERP's own business-rule
violations all leave as `application/problem+json`; a client error is never a 5xx.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)
PROBLEM_TYPE = "https://erp.example/problems/"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed", 415: "Unsupported Media Type",
          422: "Unprocessable Content", 428: "Precondition Required", 500: "Internal Server Error",
          503: "Service Unavailable"}


class Problem(Exception):
    """A business or protocol error; `code` names the rule (SAP would give a message class and number)."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers, self.extra = headers or {}, extra

    def response(self, instance: str | None = None) -> Response:
        return problem_response(self.status, self.code, self.detail, instance, self.headers, **self.extra)


class ErpJSON(JSONResponse):
    """ASCII-escaped JSON: echoed client input (odd Unicode included) can never break encoding."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, default=str).encode()


class ProblemJSON(ErpJSON):
    media_type = "application/problem+json"


def problem_body(status: int, code: str, detail: str, instance: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_TYPE + code, "title": TITLES.get(status, "Error"), "status": status,
                            "detail": detail, "code": code}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(status: int, code: str, detail: str, instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return ProblemJSON(problem_body(status, code, detail, instance, **extra), status, headers=headers)


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Only JSON-safe parts: pydantic's `ctx` may hold exception objects."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()]


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response(request.url.path)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _errors(exc)
    only_query = all(e["loc"][:1] in (["query"], ["header"], ["path"]) for e in errors)
    status, code = (400, "invalid_request") if only_query else (422, "invalid_body")
    summary = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem_response(status, code, summary or "invalid request", request.url.path, errors=errors)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, code, str(exc.detail), request.url.path, dict(exc.headers or {}))


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("ERP simulator failed on %s %s", request.method, request.url.path)
    return problem_response(500, "internal_error", f"{type(exc).__name__}: {exc}", request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_crash)
