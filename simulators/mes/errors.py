"""Business errors of the MES, each with the HTTP status and RFC 9457 problem type the API answers with.

They subclass ValueError so that the simulator admin endpoint (which maps ValueError to 422) and the
HTTP layer both understand them without knowing each other.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "urn:mes:problem:"


class MesError(ValueError):
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, slug: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.slug, self.detail, self.extra = slug, detail, extra

    def problem(self) -> dict[str, Any]:
        return {"type": PROBLEM_BASE + self.slug, "title": self.title, "status": self.status,
                "detail": self.detail, **self.extra}


class NotFound(MesError):
    status = 404
    title = "Not found"


class Conflict(MesError):
    """The request is well formed but the record's current state forbids it (invalid transition...)."""

    status = 409
    title = "Conflict with the current state"


class Unprocessable(MesError):
    """The request is well formed but refers to unknown master data or breaks a business rule."""

    status = 422
    title = "Unprocessable request"


class Forbidden(MesError):
    """Authenticated, but the named user lacks the privilege (e.g. an operator signing a QA review)."""

    status = 403
    title = "Forbidden"
