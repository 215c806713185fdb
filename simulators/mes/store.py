"""The MES's records and the one place every change goes through: state, audit trail and change feed.

A change is only complete when the audit entry, the change-feed record and the persisted document are
all written, so readers of /audit, /events and the batch API never disagree about what happened.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.common.state import JsonState
from simulators.mes.errors import NotFound, Unprocessable
from simulators.mes.feed import ChangeFeed
from simulators.mes.seed import seed_document

Changes = dict[str, tuple[Any, Any]]


class MesStore:
    def __init__(self, data_dir: Path, clock: SimClock, audit: NativeAuditTrail, service_user: str) -> None:
        self.clock, self.audit, self.service_user = clock, audit, service_user
        self.fresh = not (data_dir / "mes.json").exists()
        self.state = JsonState(data_dir / "mes.json", seed_document)
        self.feed = ChangeFeed(data_dir / "feed.jsonl")
        self._deferred = 0

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def now(self) -> str:
        return self.clock.now().isoformat()

    @contextlib.contextmanager
    def clock_override(self, clock: SimClock) -> Iterator[None]:
        """Write records with another clock (seeding history that happened before the system started)."""
        saved = self.clock, self.audit.clock
        self.clock = self.audit.clock = clock
        try:
            yield
        finally:
            self.clock, self.audit.clock = saved

    @contextlib.contextmanager
    def deferred_save(self) -> Iterator[None]:
        """Write the document once after a run of changes (an operator completing a whole batch)."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
            if not self._deferred:
                self.state.save()

    def next_id(self, counter: str, prefix: str) -> str:
        return f"{prefix}-{self.state.next_seq(counter):05d}"

    def batch(self, batch_id: str) -> dict[str, Any]:
        batch: dict[str, Any] | None = self.data["batches"].get(batch_id)
        if batch is None:
            raise NotFound("batch-not-found", f"no batch {batch_id!r}")
        return batch

    def master_batch_record(self, mbr_id: str, *, missing: type[NotFound | Unprocessable] = NotFound) -> dict[str, Any]:
        mbr: dict[str, Any] | None = self.data["master_batch_records"].get(mbr_id)
        if mbr is None:
            raise missing("master-batch-record-not-found", f"no master batch record {mbr_id!r}")
        return mbr

    def lot(self, lot_id: str, *, missing: type[NotFound | Unprocessable] = NotFound) -> dict[str, Any]:
        lot: dict[str, Any] | None = self.data["lots"].get(lot_id)
        if lot is None:
            raise missing("lot-not-found", f"no lot {lot_id!r} in the MES material view")
        return lot

    def person(self, user_id: str) -> dict[str, Any]:
        """A named user of the MES; signatures and operator entries need a person, not an interface account."""
        for user in self.data["users"]:
            if user["id"] == user_id:
                return dict(user)
        raise Unprocessable("unknown-user", f"{user_id!r} is not a user of this MES")

    def actor(self, user_id: str | None) -> str:
        """Who acts: a named user, or the authenticated interface account when the caller names none."""
        if user_id is None or user_id == self.service_user:
            return self.service_user
        return str(self.person(user_id)["id"])

    def change(self, user: str, action: str, record_type: str, record_id: str, *, changes: Changes | None = None,
               reason: str | None = None, event: str | None = None, batch_id: str | None = None,
               data: dict[str, Any] | None = None) -> None:
        self.audit.record(user, action, record_type, record_id, changes=changes, reason=reason)
        if event:
            self.feed.append(event, self.clock.now(), user, batch_id, record_type, record_id, data)
        if not self._deferred:
            self.state.save()
