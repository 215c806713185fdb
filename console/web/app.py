"""The console's ASGI app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from console.web import admin, audit, board, dead_letters, health, integrity, login, workflows
from console.web.context import ConsoleContext
from console.web.guard import LoginRequired, login_redirect, security_headers
from console.web.render import page

STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(context: ConsoleContext) -> FastAPI:
    app = FastAPI(title="gxplink console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = context
    for module in (login, board, workflows, dead_letters, health, audit, integrity, admin):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "max-age=3600"
        security_headers(response)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(request, exc.why)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        session = getattr(request.state, "session", None)
        if "text/html" not in request.headers.get("accept", "") or request.url.path.startswith("/events"):
            return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")
        return page(request, "error.html", session, title=f"Error {exc.status_code}", message=str(exc.detail),
                    status_code=exc.status_code)

    return app
