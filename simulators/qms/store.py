"""The QMS database: records, id counters, the change feed and the native audit trail, persisted.

SOAP calls run in worker threads (spyne is WSGI) while QA actions run on the event loop, so every
read and write holds one lock. Each mutation appends one entry per touched record to the change
feed (with a snapshot of the record as it then was) and to the audit trail, then saves atomically.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.common.state import JsonState
from simulators.qms import records, seed
from simulators.qms.workflow import (
    KINDS,
    LABELS,
    TERMINAL,
    InvalidInput,
    UnknownRecord,
    check_open_for_links,
    check_transition,
    require_reason,
)


class QmsStore:
    def __init__(self, data_dir: Path, clock: SimClock, audit: NativeAuditTrail) -> None:
        path = data_dir / "qms.json"
        fresh = not path.exists()
        self.clock, self.audit, self.lock = clock, audit, threading.RLock()
        self.state = JsonState(path, seed.initial_state)
        if fresh:
            self._import_history()

    # ---- reads
    def get(self, kind: str, rid: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._record(kind, rid))

    def changes_since(self, after: int, limit: int, kinds: tuple[str, ...] = KINDS) -> tuple[list[dict[str, Any]], int]:
        """Changes with seq > after (oldest first) and the cursor to ask from next time."""
        with self.lock:
            feed = self.state.data["changes"]
            page = [c for c in feed if c["seq"] > after and c["kind"] in kinds][:limit]
            cursor = page[-1]["seq"] if len(page) == limit else max(after, self.cursor)
            return copy.deepcopy(page), cursor

    def changed_records(self, kind: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Current state of the records of one kind changed after the cursor, each once."""
        with self.lock:
            changes, cursor = self.changes_since(after, limit, (kind,))
            ids = list(dict.fromkeys(c["id"] for c in changes))
            return [self.get(kind, rid) for rid in ids], cursor

    @property
    def cursor(self) -> int:
        return int(self.state.data["_counters"].get("change", 0))

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.state.data[kind].values()))

    # ---- writes
    def create(self, kind: str, fields: dict[str, Any], user: str) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            links = self._links_of(kind, fields)
            record = records.new_record(kind, "", fields, user, now)  # validated before a number is used up
            number = self.state.next_seq(f"{records.PREFIXES[kind]}-{now.year}")
            record["id"] = records.record_id(kind, now.year, number)
            self.state.data[kind][record["id"]] = record
            self._log(user, "create", kind, record, {"status": (None, record["status"])}, None, now.isoformat())
            for other_kind, other_id in links:
                self._add_link(other_kind, other_id, kind, record["id"], user, f"{LABELS[kind]} {record['id']} created")
            self.state.save()
            return copy.deepcopy(record)

    def transition(self, kind: str, rid: str, to: str, reason: str | None, user: str) -> dict[str, Any]:
        with self.lock:
            why = require_reason(reason)
            record = self._record(kind, rid)
            completed = sum(self._record("investigation", i)["status"] == "completed"
                            for i in record.get("investigation_ids", []))
            check_transition(kind, record, to, completed)
            old, now = record["status"], self.clock.now().isoformat()
            record["status"] = to
            if to in TERMINAL:
                record["closed_at"] = now
            self._log(user, "change_status", kind, record, {"status": (old, to)}, why, now)
            self.state.save()
            return copy.deepcopy(record)

    def update(self, kind: str, rid: str, values: dict[str, Any], reason: str | None, user: str) -> dict[str, Any]:
        """Set working fields (root cause, effectiveness, impact assessment) of a record not yet final."""
        with self.lock:
            why = require_reason(reason)
            record = self._record(kind, rid)
            check_open_for_links(kind, record)
            records.check_choices(values)
            changed = {k: (record.get(k), v) for k, v in values.items() if record.get(k) != v}
            record.update(values)
            if changed:
                self._log(user, "update", kind, record, changed, why)
                self.state.save()
            return copy.deepcopy(record)

    def link(self, kind: str, rid: str, other_kind: str, other_id: str, reason: str | None,
             user: str) -> dict[str, Any]:
        """Link two records both ways; linking twice changes nothing (safe for retried calls)."""
        with self.lock:
            why = require_reason(reason)
            record, other = self._record(kind, rid), self._record(other_kind, other_id)
            if f"{other_kind}_ids" not in record or f"{kind}_ids" not in other:
                raise InvalidInput(f"[LINK-KIND] a {LABELS[kind]} cannot be linked to a {LABELS[other_kind]}")
            if other_id not in record[f"{other_kind}_ids"]:
                check_open_for_links(kind, record)
                check_open_for_links(other_kind, other)
                self._add_link(kind, rid, other_kind, other_id, user, why)
                self._add_link(other_kind, other_id, kind, rid, user, why)
                self.state.save()
            return copy.deepcopy(record)

    # ---- internals
    def _record(self, kind: str, rid: str) -> dict[str, Any]:
        if kind not in KINDS:
            raise InvalidInput(f"[KIND-UNKNOWN] {kind!r} is not a record kind; kinds: {', '.join(KINDS)}")
        found: dict[str, Any] | None = self.state.data[kind].get(rid)
        if found is None:
            raise UnknownRecord(f"[RECORD-UNKNOWN] {LABELS[kind]} {rid!r} does not exist")
        return found

    def _links_of(self, kind: str, fields: dict[str, Any]) -> list[tuple[str, str]]:
        """Records a new record links to; each must exist and be open, checked before anything is written."""
        wanted = [("deviation", fields["deviation_id"])] if kind == "investigation" and fields.get("deviation_id") \
            else []
        wanted += [(other, i) for other in KINDS for i in records.id_list(fields.get(f"{other}_ids"))]
        for other_kind, other_id in wanted:
            check_open_for_links(other_kind, self._record(other_kind, other_id))
        return list(dict.fromkeys(wanted))

    def _add_link(self, kind: str, rid: str, other_kind: str, other_id: str, user: str, reason: str) -> None:
        record = self._record(kind, rid)
        name = f"{other_kind}_ids"
        old = list(record.get(name, []))
        record[name] = sorted({*old, other_id})
        self._log(user, "link", kind, record, {name: (old, record[name])}, reason)

    def _log(self, user: str, action: str, kind: str, record: dict[str, Any],
             changes: dict[str, tuple[Any, Any]], reason: str | None, at: str | None = None) -> None:
        now = at or self.clock.now().isoformat()
        record["modified_by"], record["modified_at"] = user, now
        self.audit.record(user, action, kind, record["id"], changes, reason)
        self.state.data["changes"].append({
            "seq": self.state.next_seq("change"), "at": now, "user": user, "kind": kind, "id": record["id"],
            "action": action, "status": record["status"], "record": copy.deepcopy(record)})

    def _import_history(self) -> None:
        """Historical records migrated from the previous QMS get a feed entry and an audit entry each."""
        with self.lock:
            for kind in KINDS:
                for record in self.state.data[kind].values():
                    self._log("system", "import", kind, record, {"status": (None, record["status"])},
                              "Migrated from the previous QMS at go-live")
            self.state.save()
