"""The audit trail viewer: search by any business id, user, system and time; a timeline across the
systems; record detail with old and new values and signature manifestations; chain verification;
CSV and PDF export. Searches and exports are themselves audited (who read what, when)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from console.board import COLUMNS
from console.sessions import Session
from console.web.context import ConsoleContext, context_of
from console.web.guard import current_session
from console.web.render import page
from orchestrator.audit import query, render
from orchestrator.audit.pdf import signatures, write_pdf
from orchestrator.audit.verify import Report, verify_with_keys

router = APIRouter()
SEARCH_LIMIT = 500
VERIFY_FRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Search:
    ident: str = ""
    user: str = ""
    system: str = ""
    since: str = ""
    until: str = ""
    action: str = ""

    @classmethod
    def of(cls, request: Request) -> Search:
        params = request.query_params
        return cls(**{k: (params.get(k) or "").strip() for k in ("ident", "user", "system", "since", "until",
                                                                  "action")})

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())

    def filters(self) -> query.Filters:
        return query.Filters(self.system or None, self.user or None, _time(self.since, "from"),
                             _time(self.until, "until"), self.action or None)

    def described(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in vars(self).items() if v) or "everything"


def _time(text: str, what: str) -> datetime | None:
    """A time from the form (datetime-local has no zone: the console works in UTC and says so)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"'{what}' is not a date and time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def _records(ctx: ConsoleContext, search: Search) -> list[dict[str, Any]]:
    if search.ident:
        return await query.trail(ctx.engine, search.ident, search.filters())
    return await query.search(ctx.engine, search.filters(), SEARCH_LIMIT)


async def _verification(request: Request) -> Report:
    """The chain check, recomputed at most once a minute (it reads every record)."""
    cached: tuple[float, Report] | None = getattr(request.app.state, "verified", None)
    if cached and time.monotonic() - cached[0] < VERIFY_FRESH_SECONDS:
        return cached[1]
    ctx = context_of(request)
    report = await verify_with_keys(ctx.engine, ctx.config.keys_dir)
    request.app.state.verified = (time.monotonic(), report)
    return report


@router.get("/audit", response_class=HTMLResponse)
async def audit(request: Request, session: Session = Depends(current_session)) -> Response:
    ctx, search = context_of(request), Search.of(request)
    recs = [] if search.empty else await _records(ctx, search)
    if not search.empty:
        await ctx.audit.record(user_id=session.user_id, action="audit_search", target_type="audit_trail",
                               target_id=search.ident or "search", reason=search.described())
    return page(request, "audit.html", session, title="Audit trail", nav="audit", search=search, records=recs,
                columns=COLUMNS, signatures=signatures(recs), limit=SEARCH_LIMIT,
                export_query=request.url.query, verification=await _verification(request))


@router.get("/audit/verify", response_class=HTMLResponse)
async def verification(request: Request, session: Session = Depends(current_session)) -> Response:
    request.app.state.verified = None
    report = await _verification(request)
    await context_of(request).audit.record(user_id=session.user_id, action="audit_verify", target_type="audit_trail",
                                           target_id="chain", reason=report.summary()[:500])
    return page(request, "verify.html", session, title="Chain verification", nav="audit", report=report)


@router.get("/audit/records/{record_id}", response_class=HTMLResponse)
async def record(record_id: str, request: Request, session: Session = Depends(current_session)) -> Response:
    found = await query.record(context_of(request).engine, record_id)
    if found is None:
        raise HTTPException(404, f"no audit record {record_id}")
    return page(request, "record.html", session, title=f"Audit record {record_id}", nav="audit", record=found,
                signatures=signatures([found]))


async def _export(request: Request, session: Session, kind: str) -> tuple[Search, list[dict[str, Any]]]:
    ctx, search = context_of(request), Search.of(request)
    if search.empty:
        raise HTTPException(400, "export what? give an id or a filter")
    recs = await _records(ctx, search)
    await ctx.audit.record(user_id=session.user_id, action="audit_export", target_type="audit_trail",
                           target_id=search.ident or "search", reason=f"{kind} of {len(recs)} records: "
                           f"{search.described()}")
    return search, recs


def _filename(search: Search, ext: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in (search.ident or "search"))[:80]
    return f"audit-trail-{stem}.{ext}"


@router.get("/audit/export.csv")
async def export_csv(request: Request, session: Session = Depends(current_session)) -> Response:
    search, recs = await _export(request, session, "CSV")
    return Response(render.trail_csv(recs), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(search, "csv")}"'})


@router.get("/audit/export.pdf")
async def export_pdf(request: Request, session: Session = Depends(current_session)) -> Response:
    search, recs = await _export(request, session, "PDF")
    verified = f"Chain verification when printed: {(await _verification(request)).summary()}"
    with tempfile.TemporaryDirectory() as tmp:
        path = await asyncio.to_thread(write_pdf, recs, Path(tmp) / "trail.pdf", subject=search.described(),
                                       verified=verified)
        content = path.read_bytes()
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{_filename(search, "pdf")}"'})
