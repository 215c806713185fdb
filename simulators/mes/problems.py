"""Every error the MES API answers is an RFC 9457 problem document (application/problem+json).

That includes FastAPI's own request validation errors and Starlette's 404/405, so a client parses
one error shape whatever went wrong, and no client input ever yields a 5xx.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from simulators.mes.errors import MesError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, detail: str, *, type_: str = "about:blank", title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": type_, "title": title or HTTPStatus(status).phrase, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _location(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _mes_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MesError)
    body = exc.problem()
    headers = {"WWW-Authenticate": 'Basic realm="MES"'} if exc.status == 401 else None
    return JSONResponse(body, status_code=exc.status, headers=headers, media_type=PROBLEM_JSON)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only loc/msg/type: the offending input may be bytes or objects that do not encode as JSON.
    errors = [{"loc": _location(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
              for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5]) or "invalid request"
    return problem(422, detail, type_="urn:mes:problem:validation-error", title="Request validation failed",
                   errors=errors)


def _allowed_methods(request: Request) -> str:
    """Starlette names only the first route matching the path; list every method the published API has for it."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {m.upper() for m in operations if m != "parameters"}
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem(exc.status_code, detail, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("MES simulator: unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "the MES could not process the request")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MesError, _mes_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
