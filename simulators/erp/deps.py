"""What every ERP route shares: the store, the acting user, the If-Match header and the documented problems."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Header, Request
from starlette.responses import Response

from simulators.erp.concurrency import etag, with_etag
from simulators.erp.problems import ErpJSON
from simulators.erp.resources import ProblemDetails
from simulators.erp.store import ErpStore


def store_of(request: Request) -> ErpStore:
    store: ErpStore = request.app.state.store
    return store


def acting_user(request: Request, on_behalf: str | None) -> str:
    """The user named in the body (a QA user deciding in the ERP UI), else the authenticated one."""
    return on_behalf or str(getattr(request.state, "user", "UNKNOWN"))


def iso_day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def if_match_header(if_match: str | None = Header(None, alias="If-Match", max_length=200,
                                                  description="The object's current ETag")) -> str | None:
    return if_match


def entity(obj: dict[str, Any], status: int = 200, location: str | None = None, versioned: bool = True) -> Response:
    """One object as JSON, with its ETag in the header and in the body (OData's @odata.etag)."""
    headers = {"ETag": etag(obj)} if versioned else {}
    if location:
        headers["Location"] = quote(location)
    return ErpJSON(with_etag(obj) if versioned else obj, status, headers=headers)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Documented error answers; the OpenAPI hook files them under application/problem+json."""
    return {s: {"model": ProblemDetails, "description": "Problem details (RFC 9457)"}
            for s in sorted({400, 401, 503, *statuses})}
