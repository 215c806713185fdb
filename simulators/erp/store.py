"""The ERP's persisted state and the one place where changes are committed.

Every change goes through `emit`, which appends a change-feed record and writes the matching
change documents to the native audit trail, so feed, audit and state never disagree.
"""

from __future__ import annotations

import bisect
import copy
from typing import Any

from simulators.common.base import SimContext
from simulators.common.state import JsonState
from simulators.erp.problems import Problem
from simulators.erp.seed import seed_document

MIGRATION_USER = "DDIC"  # SAP's installation user owns the opening balance
Changes = dict[str, tuple[Any, Any]]


class ErpStore:
    def __init__(self, ctx: SimContext) -> None:
        self.clock, self.audit = ctx.clock, ctx.audit
        path = ctx.data_dir / "erp.json"
        fresh = not path.exists()
        self.state = JsonState(path, lambda: seed_document(self.now()))
        self.data = self.state.data
        if fresh:
            for lot in self.lots.values():
                self.emit("lot_created", MIGRATION_USER, "lot", lot["id"], lot, created(lot, "status", "quantity"),
                          "opening balance (data migration)")
            self.save()

    @property
    def materials(self) -> dict[str, dict[str, Any]]:
        return self.data["materials"]  # type: ignore[no-any-return]

    @property
    def lots(self) -> dict[str, dict[str, Any]]:
        return self.data["lots"]  # type: ignore[no-any-return]

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        return self.data["orders"]  # type: ignore[no-any-return]

    @property
    def boms(self) -> dict[str, dict[str, Any]]:
        return self.data["boms"]  # type: ignore[no-any-return]

    @property
    def usage_decisions(self) -> list[dict[str, Any]]:
        return self.data["usage_decisions"]  # type: ignore[no-any-return]

    @property
    def transactions(self) -> list[dict[str, Any]]:
        return self.data["transactions"]  # type: ignore[no-any-return]

    @property
    def changes(self) -> list[dict[str, Any]]:
        return self.data["changes"]  # type: ignore[no-any-return]

    def now(self) -> str:
        return self.clock.now().isoformat()

    def today(self) -> str:
        return self.clock.now().date().isoformat()

    def number(self, counter: str, base: int) -> str:
        """SAP-style document numbers from a number range (persisted with the next save)."""
        return str(base + self.state.next_seq(counter))

    def material(self, material_id: str) -> dict[str, Any]:
        if material_id not in self.materials:
            raise Problem(422, "unknown_material", f"material {material_id!r} does not exist in plant")
        return self.materials[material_id]

    def touch(self, obj: dict[str, Any]) -> None:
        obj["version"] = int(obj["version"]) + 1
        obj["changed_at"] = self.now()

    def emit(self, kind: str, user: str, object_type: str, object_id: str, snapshot: dict[str, Any],
             changes: Changes | None = None, reason: str | None = None) -> dict[str, Any]:
        """One change-feed record plus its change documents in the audit trail."""
        record: dict[str, Any] = {"seq": self.state.next_seq("change"), "type": kind, "at": self.now(), "user": user,
                                  "object_type": object_type, "object_id": object_id,
                                  "changes": {f: {"old": o, "new": n} for f, (o, n) in (changes or {}).items()},
                                  "reason": reason, "data": copy.deepcopy(snapshot)}
        self.changes.append(record)
        self.audit.record(user, kind, object_type, object_id, changes or None, reason)
        return record

    def changes_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        start = bisect.bisect_right(self.changes, after, key=lambda c: int(c["seq"]))
        return self.changes[start:start + limit]

    def save(self) -> None:
        self.state.save()


def created(obj: dict[str, Any], *fields: str) -> Changes:
    """Change documents of an insert: the key fields, from nothing to their first value."""
    return {f: (None, obj.get(f)) for f in fields}
