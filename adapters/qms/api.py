"""What the adapter needs from a QMS: its SOAP operations, the pages it reads, the faults it answers.

`ZeepQmsClient` (client.py) implements `QmsApi` with zeep over HTTP, `FakeQmsClient` (fake.py) in
memory. Both hand back records as `zeep.helpers.serialize_object` makes them (dicts, camelCase keys,
datetimes as `datetime`) and raise the same errors: `RetryableError` when the QMS could not answer
(down, slow, HTTP 5xx, a `Server.*` fault, a malformed reply), `QmsFault` (a `PermanentError`) when
it refused with a `Client.*` fault: its faultstring names the rule, e.g. `[DEV-INV-REQUIRED]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from messaging.errors import PermanentError

INVALID_TRANSITION = "Client.InvalidTransition"


class QmsFault(PermanentError):
    """A SOAP Client fault; `code` (e.g. Client.InvalidTransition) goes into command_failed's error_code."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(f"QMS refused ({code}): {message}")


@dataclass(frozen=True)
class Page:
    """Records after a cursor, oldest first, and whether the QMS has more waiting."""

    records: list[dict[str, Any]]
    has_more: bool


class QmsApi(Protocol):
    url: str  # where the QMS is (for dead letters' origin and log lines; never with credentials)
    username: str | None  # the web-service account: what the QMS records as changedBy for our calls

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def probe(self) -> bool: ...

    async def call(self, operation: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run one operation (`client.service.<operation>(**args)`); its answer serialised."""

    async def changes(self, after: int, limit: int) -> Page:
        """ListChangesSince: changes with changeSeq > after, each with the record's snapshot."""

    async def audit(self, after: int, limit: int, record_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """GetAuditEntries: (entries after `after`, of `record_id` if given; the last seq the QMS looked at)."""
