"""User administration: administrators create users with a role; ids are never reused or deleted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from console.sessions import Session
from console.web.context import context_of
from console.web.guard import checked_form, require
from console.web.render import page
from orchestrator.engine.accounts import ROLES, AccountError

router = APIRouter()
ADMIN = require("admin")


async def _users_page(request: Request, session: Session, *, error: str | None = None, notice: str | None = None,
                      status_code: int = 200) -> Response:
    return page(request, "users.html", session, title="Users", nav="users", users=await context_of(request)
                .accounts.all(), roles=ROLES, error=error, notice=notice, status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
async def users(request: Request, session: Session = Depends(ADMIN)) -> Response:
    return await _users_page(request, session)


@router.post("/admin/users")
async def add_user(request: Request, form: dict[str, str] = Depends(checked_form),
                   session: Session = Depends(ADMIN)) -> Response:
    ctx = context_of(request)
    user_id, name, role = form.get("user_id", "").strip(), form.get("name", "").strip(), form.get("role", "")
    try:
        created = await ctx.accounts.add(user_id, name, role, form.get("password", ""))
    except AccountError as exc:
        return await _users_page(request, session, error=str(exc), status_code=400)
    if not created:
        return await _users_page(request, session, error=f"user id {user_id!r} exists (ids are never reused)",
                                 status_code=409)
    await ctx.audit.record(user_id=session.user_id, action="create", target_type="user", target_id=user_id,
                           reason=form.get("reason", "").strip() or None,
                           changes={"name": (None, name), "role": (None, role)})
    return await _users_page(request, session, notice=f"created {user_id} ({role})")
