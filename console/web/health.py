"""Adapter and component health, as each reports it on its /health endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from console.health import gather_health
from console.sessions import Session
from console.web.context import context_of
from console.web.guard import current_session
from console.web.render import page

router = APIRouter()


@router.get("/components", response_class=HTMLResponse)
async def components(request: Request, session: Session = Depends(current_session)) -> Response:
    ctx = context_of(request)
    return page(request, "health.html", session, title="Adapter health", nav="health",
                components=await gather_health(ctx.config.health_urls), nats_connected=ctx.nc.is_connected)
