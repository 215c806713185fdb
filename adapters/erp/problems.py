"""ERP answers that end a command: a permanent error carrying the ERP's problem code and detail."""

from __future__ import annotations

from adapters.erp.api import Reply
from messaging.errors import PermanentError


class ErpRefused(PermanentError):
    """The ERP refused, or the command conflicts with what the ERP holds now; `code` goes into the reply."""

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.code = code


def refused(reply: Reply, what: str) -> ErpRefused:
    """A 4xx problem answer as a permanent error (5xx and 429 never get here: they are retryable)."""
    return ErpRefused(f"{what}: the ERP answered {reply.status} {reply.code or ''}: {reply.detail}".replace("  ", " "),
                      reply.code or f"http_{reply.status}")
