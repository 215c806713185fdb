"""What the adapter needs from an MES: the operations of its REST API, the pages it reads, its errors.

`MesHttpClient` (client.py) implements `MesApi` over HTTP, `FakeMesClient` (fake.py) in memory. Both
raise the same errors: `RetryableError` when the MES could not answer (down, slow, 429/5xx, a cut-off
body), `MesProblem` (a `PermanentError`) when it answered with an RFC 9457 problem: it refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from messaging.errors import PermanentError

PROBLEM_PREFIX = "urn:mes:problem:"


class MesProblem(PermanentError):
    """A 4xx answer; `code` (the problem type's slug, e.g. invalid-transition) goes into command_failed."""

    def __init__(self, status: int, detail: str, code: str | None = None, title: str | None = None) -> None:
        self.status, self.detail, self.code, self.title = status, detail, code, title
        super().__init__(f"MES refused ({status}{f' {code}' if code else ''}): {detail}")

    @classmethod
    def from_body(cls, status: int, body: Any, text: str = "") -> MesProblem:
        """From a problem document; a body that is not one still gives the status and some text."""
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            kind = str(body.get("type") or "")
            code = kind.removeprefix(PROBLEM_PREFIX) if kind and kind != "about:blank" else None
            return cls(status, body["detail"], code, body.get("title"))
        return cls(status, text[:300] or f"HTTP {status} without a problem document")


@dataclass(frozen=True)
class Page:
    """Records after a cursor, oldest first; each has an integer `seq` (the cursor position)."""

    records: list[dict[str, Any]]
    has_more: bool

    @classmethod
    def parse(cls, doc: Any, key: str, limit: int) -> Page:
        """A /events (`events`, `has_more`) or /audit (`entries`, no `has_more`) page; ValueError if malformed."""
        if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
            raise ValueError(f"not a page: no list {key!r}")
        records = doc[key]
        for record in records:
            if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
                raise ValueError(f"a record in {key!r} has no integer seq")
        has_more = doc.get("has_more")
        if has_more is None:  # the audit trail does not say; a full page means there may be more
            has_more = len(records) >= limit
        return cls(records, bool(has_more))


class MesApi(Protocol):
    url: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def probe(self) -> bool: ...
    async def events(self, after: int, limit: int) -> Page: ...
    async def audit(self, after: int, limit: int) -> Page: ...
    async def batch(self, batch_id: str) -> dict[str, Any]: ...
    async def master_batch_record(self, mbr_id: str) -> dict[str, Any]: ...
    async def create_master_batch_record(self, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The record version holding `body`'s content, and whether the MES created it now (201) or held it (200)."""
    async def transition(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]: ...
    async def qc_summaries(self, batch_id: str) -> list[dict[str, Any]]: ...
    async def record_qc_summary(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]: ...
    async def external_references(self, batch_id: str) -> list[dict[str, Any]]: ...
    async def attach_reference(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]: ...
    async def batchml(self, batch_id: str) -> bytes: ...
