"""Data-integrity findings: what the live ALCOA+ monitor raised, newest first, each linked to its record."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from console.sessions import Session
from console.web.context import context_of
from console.web.guard import current_session
from console.web.render import page
from orchestrator.audit import query

router = APIRouter()
ISSUE_TYPE = "io.gxplink.evt.gxplink.data_integrity_issue_detected"


@router.get("/integrity", response_class=HTMLResponse)
async def integrity(request: Request, session: Session = Depends(current_session)) -> Response:
    found = await query.of_type(context_of(request).engine, ISSUE_TYPE)
    issues = [{**r["content"].get("data", {}), "time": r["time"]} for r in found]
    return page(request, "integrity.html", session, title="Data integrity", nav="integrity", issues=issues)
