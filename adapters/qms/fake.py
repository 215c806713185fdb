"""An in-memory QMS for unit and contract tests: the operations the adapter calls, as the SOAP QMS answers.

Records, change feed and audit trail are shaped as zeep serialises the real service's answers
(camelCase dicts, datetimes). It refuses like the QMS (`Client.*` faults naming the rule), can be
switched "down" (RetryableError, as a refused connection gives), can deliver every change twice
(`duplicate`), and can lose the answers of the next writes after acting (`lose_answers`).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.qms.api import INVALID_TRANSITION, Page, QmsFault
from messaging.errors import RetryableError

DEVIATION_MOVES = {"open": ("under_investigation", "cancelled"), "under_investigation": ("pending_capa", "closed",
                   "cancelled"), "pending_capa": ("closed", "under_investigation"), "closed": (), "cancelled": ()}
PREFIX = {"deviation": "DEV", "capa": "CAPA", "change_control": "CC"}
LISTS = {"deviation": ("investigationIds", "capaIds", "changeControlIds"),
         "capa": ("deviationIds", "changeControlIds"), "change_control": ("capaIds", "deviationIds")}
WRITES = {"CreateDeviation", "ChangeDeviationStatus", "LinkCapaToDeviation", "LinkCapaToChangeControl"}


class FakeQmsClient:
    url = "fake-qms"

    def __init__(self, username: str = "qms.integration") -> None:
        self.username: str | None = username
        self.records: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in PREFIX}
        self.feed: list[dict[str, Any]] = []
        self.trail: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.down, self.duplicate, self.lose_answers = False, False, 0
        self._clock = datetime.now(UTC)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def probe(self) -> bool:
        return not self.down

    async def call(self, operation: str, args: dict[str, Any]) -> dict[str, Any]:
        self._reachable()
        self.calls.append((operation, dict(args)))
        answer: dict[str, Any] = copy.deepcopy(getattr(self, f"op_{operation}")(**args))
        if self.lose_answers and operation in WRITES:
            self.lose_answers -= 1
            raise RetryableError(f"malformed QMS answer to {operation}: cut off")
        return answer

    async def changes(self, after: int, limit: int) -> Page:
        self._reachable()
        page = [c for c in self.feed if c["changeSeq"] > after][:limit]
        doubled = [c for change in page for c in ([change, change] if self.duplicate else [change])]
        return Page(copy.deepcopy(doubled), bool(page) and page[-1]["changeSeq"] < len(self.feed))

    async def audit(self, after: int, limit: int, record_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
        self._reachable()
        page = [e for e in self.trail if e["seq"] > after][:limit]
        chosen = [e for e in page if record_id in (None, e["recordId"])]
        return copy.deepcopy(chosen), page[-1]["seq"] if page else max(after, len(self.trail))

    # ---- the operations (keyword arguments as the WSDL names them)
    def op_CreateDeviation(self, **fields: Any) -> dict[str, Any]:
        if not fields.get("title") or not fields.get("classification"):
            raise QmsFault("Client.InvalidInput", "[FIELD-REQUIRED] title and classification are required")
        for name in ("timeWindowStart", "timeWindowEnd"):
            if isinstance(fields.get(name), str):
                fields[name] = datetime.fromisoformat(fields[name])
        return self.create("deviation", fields)

    def op_GetDeviation(self, deviationId: str) -> dict[str, Any]:
        return self._record("deviation", deviationId)

    def op_GetCapa(self, capaId: str) -> dict[str, Any]:
        return self._record("capa", capaId)

    def op_ChangeDeviationStatus(self, deviationId: str, newStatus: str, reason: str | None = None) -> dict[str, Any]:
        record, why = self._record("deviation", deviationId), _reason(reason)
        if newStatus not in DEVIATION_MOVES[record["status"]]:
            raise QmsFault(INVALID_TRANSITION, f"[DEV-TRANSITION] Deviation {deviationId} cannot move from "
                                               f"{record['status']} to {newStatus}")
        old, record["status"] = record["status"], newStatus
        self._log("change_status", "deviation", record, "status", old, newStatus, why)
        return record

    def op_LinkCapaToDeviation(self, capaId: str, deviationId: str, reason: str | None = None) -> dict[str, Any]:
        return self.link(capaId, "deviation", deviationId, _reason(reason))

    def op_LinkCapaToChangeControl(self, capaId: str, changeControlId: str, reason: str | None = None
                                   ) -> dict[str, Any]:
        return self.link(capaId, "change_control", changeControlId, _reason(reason))

    def op_GetServerTime(self) -> dict[str, Any]:
        return {"value": self._now()}

    # ---- what QA people do in the QMS's own screens (tests use these directly)
    def create(self, kind: str, fields: dict[str, Any], user: str | None = None) -> dict[str, Any]:
        user, now = user or str(self.username), self._now()
        number = f"{PREFIX[kind]}-2026-{len(self.records[kind]) + 1:04d}"
        status = "draft" if kind == "change_control" else "open"
        record = {**{name: [] for name in LISTS[kind]}, **fields, f"{_camel(kind)}Id": number, "status": status,
                  "owner": fields.get("owner") or user, "openedBy": user, "openedAt": now, "closedAt": None,
                  "modifiedBy": user, "modifiedAt": now}
        self.records[kind][number] = record
        self._log("create", kind, record, "status", None, record["status"], None, user)
        return record

    def link(self, capa_id: str, kind: str, other_id: str, reason: str, user: str | None = None) -> dict[str, Any]:
        capa, other = self._record("capa", capa_id), self._record(kind, other_id)
        field = f"{_camel(kind)}Ids"
        if other_id not in capa[field]:
            for record, name, rid, rkind in ((capa, field, other_id, "capa"), (other, "capaIds", capa_id, kind)):
                old, record[name] = list(record[name]), sorted({*record[name], rid})
                self._log("link", rkind, record, _snake(name), old, record[name], reason, user)
        return capa

    # ---- internals
    def _record(self, kind: str, rid: str) -> dict[str, Any]:
        if rid not in self.records[kind]:
            raise QmsFault("Client.UnknownRecord", f"[RECORD-UNKNOWN] {kind} {rid!r} does not exist")
        return self.records[kind][rid]

    def _log(self, action: str, kind: str, record: dict[str, Any], field: str, old: Any, new: Any,
             reason: str | None, user: str | None = None) -> None:
        user, now = user or str(self.username), self._now()
        record["modifiedBy"], record["modifiedAt"] = user, now
        self.trail.append({"seq": len(self.trail) + 1, "at": now + timedelta(microseconds=3), "user": user,
                           "action": action, "recordType": kind, "recordId": record[f"{_camel(kind)}Id"],
                           "field": field, "oldValue": _text(old), "newValue": _text(new), "reason": reason})
        self.feed.append({"changeSeq": len(self.feed) + 1, "changedAt": now, "changedBy": user, "recordType": kind,
                          "recordId": record[f"{_camel(kind)}Id"], "action": action, "status": record["status"],
                          **{_camel(k): (copy.deepcopy(record) if k == kind else None)
                             for k in ("deviation", "investigation", "capa", "change_control")}})

    def _now(self) -> datetime:
        """The wall clock (event ids derive from it, so two fakes never make the same ids), never standing still."""
        self._clock = max(datetime.now(UTC), self._clock + timedelta(microseconds=10))
        return self._clock

    def _reachable(self) -> None:
        if self.down:
            raise RetryableError("fake QMS is down")


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise QmsFault("Client.InvalidInput", "[AUD-REASON] a reason is required for every status change and link")
    return reason.strip()


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value)
