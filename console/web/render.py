"""One way to render a page: the template, the logged-in user, their CSRF token and the nav entry."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from console.sessions import Session
from console.web.context import TEMPLATES
from console.web.guard import ROLE_NAMES

SYSTEM_NAMES = {"mes": "MES", "lims": "LIMS", "qms": "QMS", "erp": "ERP", "deltav": "DeltaV", "gxplink": "gxplink"}


def page(request: Request, template: str, session: Session | None, *, title: str, nav: str = "",
         status_code: int = 200, **values: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, {
        "title": title, "nav": nav, "session": session, "csrf": session.csrf if session else "",
        "role_name": ROLE_NAMES.get(session.role, session.role) if session else "", "systems": SYSTEM_NAMES,
        **values}, status_code=status_code)
