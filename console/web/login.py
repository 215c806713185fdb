"""Logging in and out. Wrong passwords are counted and lock the account; each attempt is audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.sessions import Session
from console.web.context import context_of
from console.web.guard import COOKIE, LOGIN_COOKIE, checked_form, csrf_ok, current_session, new_login_token, set_cookie
from console.web.render import page
from orchestrator.engine.accounts import AccountError

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this console: never an absolute or scheme-relative URL (no open redirect)."""
    return target if target and target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def _form(request: Request, *, error: str | None = None, notice: str | None = None, user_id: str = "",
          next: str | None = None, status_code: int = 200) -> Response:
    token = new_login_token()
    response = page(request, "login.html", None, title="Log in", login_token=token, error=error, notice=notice,
                    user_id=user_id, next=_safe_next(next or request.query_params.get("next")),
                    status_code=status_code)
    set_cookie(response, LOGIN_COOKIE, token, secure=context_of(request).config.secure_cookies, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    ended = request.query_params.get("ended")
    return _form(request, notice=f"You were logged out ({ended}). Log in again." if ended else None)


@router.post("/login")
async def login(request: Request, user_id: str = Form(""), password: str = Form(""), login_token: str = Form(""),
                next: str = Form("/")) -> Response:
    ctx = context_of(request)
    user_id = user_id.strip()[:100]  # no user id is longer
    if not csrf_ok(request.cookies.get(LOGIN_COOKIE, ""), login_token):
        return _form(request, error="The login form expired; please try again.", user_id=user_id, next=next,
                     status_code=403)
    if await ctx.sessions.locked_until(user_id):
        await ctx.audit.record(user_id=None, typed_user=user_id, action="login_refused", target_type="console_session",
                               target_id=user_id or "?", reason="account locked after repeated wrong passwords")
        return _form(request, error="This account is locked after repeated wrong passwords. Try again later or "
                     "ask an administrator.", user_id=user_id, next=next, status_code=403)
    try:
        user = await ctx.accounts.authenticate(user_id, password)
    except AccountError:
        known = await ctx.accounts.get(user_id) is not None
        count, locked = await ctx.sessions.failed(user_id)
        await ctx.audit.record(user_id=user_id if known else None, typed_user=None if known else user_id,
                               action="login_failed", target_type="console_session", target_id=user_id or "?",
                               reason=f"wrong user id or password (attempt {count})")
        if locked:
            await ctx.audit.record(user_id=user_id if known else None, typed_user=None if known else user_id,
                                   action="account_locked", target_type="user", target_id=user_id or "?",
                                   reason=f"{count} wrong passwords in a row", changes={"locked_until": (
                                       None, locked.isoformat(timespec="seconds"))})
        return _form(request, error="Wrong user id or password.", user_id=user_id, next=next, status_code=401)
    await ctx.sessions.succeeded(user_id)
    token, session = await ctx.sessions.open(user)
    await ctx.audit.record(user_id=session.user_id, action="login", target_type="console_session",
                           target_id=session.user_id, reason=f"role {session.role}")
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, COOKIE, token, secure=ctx.config.secure_cookies)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, _form: dict[str, str] = Depends(checked_form),
                 session: Session = Depends(current_session)) -> Response:
    ctx = context_of(request)
    await ctx.sessions.end(request.cookies.get(COOKIE, ""), "logout")
    await ctx.audit.record(user_id=session.user_id, action="logout", target_type="console_session",
                           target_id=session.user_id, reason="logged out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
