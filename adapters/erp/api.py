"""What the ERP adapter needs from an ERP: the HTTP client implements it, the fake does in memory.

Reads raise RetryableError when the ERP is unreachable, slow, overloaded (429/5xx) or answers a
body that cannot be read, and PermanentError for answers that retrying cannot change (401, 400...).
Writes return the ERP's `Reply` for 2xx and 4xx, so the caller can re-read and decide on a 409/412.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from messaging.errors import RetryableError

Record = dict[str, Any]


class OutcomeUnknown(RetryableError):
    """A write was sent but no answer came back (read timeout, connection dropped): it may have been executed.

    Retrying is fine only after checking whether it was (what each command handler does first).
    """


@dataclass(frozen=True)
class Reply:
    status: int
    body: Record | None  # None when the ERP's answer could not be read (a 2xx with a cut-off body)
    etag: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str | None:
        """The problem code of a 4xx answer (RFC 9457 body with `code`)."""
        return str(self.body["code"]) if self.body and self.body.get("code") else None

    @property
    def detail(self) -> str:
        if self.body and self.body.get("detail"):
            return str(self.body["detail"])
        return f"HTTP {self.status} without a readable problem body"


class ErpApi(Protocol):
    url: str

    async def changes(self, after: int, limit: int) -> tuple[list[Record], int]:
        """Change-feed records after `after` (possibly some twice) and the next cursor."""

    async def audit(self, after: int, limit: int) -> tuple[list[Record], int]:
        """Change documents after `after` and the next position."""

    async def lot_changes(self, lot_id: str) -> list[Record]:
        """Every change document of one batch, oldest first."""

    async def boms(self) -> list[Record]: ...

    async def lot(self, lot_id: str) -> Record | None:
        """The batch with its `@odata.etag`, or None when it does not exist."""

    async def production_order(self, order_id: str) -> Record | None: ...

    async def production_orders_for_batch(self, batch_id: str) -> list[Record]: ...

    async def transactions(self, lot_id: str, movement_type: str) -> list[Record]:
        """Material documents of one batch and movement type."""

    async def post_usage_decision(self, lot_id: str, body: Record, if_match: str) -> Reply: ...

    async def post_inventory_transaction(self, body: Record) -> Reply: ...

    async def post_production_order(self, body: Record) -> Reply: ...

    async def material(self, material_id: str) -> Record | None:
        """The material master, or None when the ERP has no such material."""

    async def post_material(self, body: Record) -> Reply: ...

    async def bom(self, bom_id: str) -> Record | None:
        """The BOM with its `@odata.etag`, or None when it does not exist."""

    async def post_bom(self, body: Record) -> Reply: ...

    async def patch_bom(self, bom_id: str, body: Record, if_match: str) -> Reply: ...

    async def probe(self) -> bool:
        """Is the ERP answering, with our credentials? (A read without side effects.)"""

    async def close(self) -> None: ...
