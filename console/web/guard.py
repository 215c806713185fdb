"""Who may see and do what: the session cookie, roles, CSRF tokens and the security headers.

Unauthenticated requests never see data: a page redirects to the login form, anything else gets 401.
Every state-changing request is a POST carrying the session's CSRF token (synchronizer pattern);
the login form, which has no session yet, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from console.sessions import Ended, Session
from console.web.context import context_of

COOKIE = "gxplink_session"
LOGIN_COOKIE = "gxplink_login"
ROLE_NAMES = {"auditor": "Auditor", "qa": "QA", "operator": "Operator", "admin": "Administrator"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


class LoginRequired(Exception):
    def __init__(self, why: str | None = None) -> None:
        self.why = why


async def current_session(request: Request) -> Session:
    found = await context_of(request).sessions.get(request.cookies.get(COOKIE))
    if isinstance(found, Ended):
        await context_of(request).audit.record(user_id=found.user_id, action="logout", target_type="console_session",
                                               target_id=found.user_id, reason=found.reason)
        raise LoginRequired(found.reason)
    if found is None:
        raise LoginRequired()
    request.state.session = found
    return found


def require(*roles: str) -> Callable[[Session], Awaitable[Session]]:
    """A dependency: the session, when its role is one of `roles` (403 otherwise)."""
    async def check(session: Session = Depends(current_session)) -> Session:
        if session.role not in roles:
            raise HTTPException(403, f"your role ({ROLE_NAMES.get(session.role, session.role)}) may not do this")
        return session
    return check


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


async def checked_form(request: Request, session: Session = Depends(current_session)) -> dict[str, str]:
    """The POSTed form of a logged-in user, after its CSRF token was checked."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not csrf_ok(session.csrf, form.get("csrf_token")):
        raise HTTPException(403, "the form's security token is missing or stale: reload the page and try again")
    return form


def login_redirect(request: Request, why: str | None = None) -> Response:
    if request.url.path.startswith(("/events", "/api")) or request.method != "GET":
        return Response("login required", status_code=401, media_type="text/plain")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    suffix = f"&ended={quote(why)}" if why else ""
    return RedirectResponse(f"/login?next={quote(target, safe='')}{suffix}", status_code=303)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure, max_age=max_age, path="/")


def security_headers(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
