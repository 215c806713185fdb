"""An in-memory DeltaV for unit and contract tests: one unit with a temperature loop, its phase and a journal.

It behaves like the OPC UA server where the adapter can tell: set point limits (BadOutOfRange), the
ISA-88 phase state model (BadInvalidState), phase events and PV data changes pushed to the live
session's sink, history for backfill, a journal with sequence numbers, and `down` (connection
refused; the live session is reported lost).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adapters.deltav.connection import NotificationSink
from adapters.deltav.errors import BadStatus
from adapters.deltav.model import Analog, EventNote, PhaseSnapshot, Plant, Sample, UnitInfo
from canonical_model.ids import new_id
from messaging.errors import RetryableError

ROOT = "DeltaV/CAM-CP/CP-1"
TRANSITIONS = {("Start", "IDLE"): "RUNNING", ("Start", "COMPLETE"): "RUNNING", ("Hold", "RUNNING"): "HELD",
               ("Restart", "HELD"): "RUNNING", ("Abort", "RUNNING"): "ABORTED", ("Abort", "HELD"): "ABORTED"}


def _plant() -> Plant:
    methods = {"Start": ("ns=2;s=BR-101/Phase/Start", ("BatchId", "PhaseId")),
               "Hold": ("ns=2;s=BR-101/Phase/Hold", ("Reason",)), "Restart": ("ns=2;s=BR-101/Phase/Restart", ()),
               "Abort": ("ns=2;s=BR-101/Phase/Abort", ("Reason",))}
    unit = UnitInfo("BR-101", f"{ROOT}/BR-101", "ns=2;s=BR-101", f"{ROOT}/BR-101/Phase", "ns=2;s=BR-101/Phase",
                    {"CurrentState": "ns=2;s=BR-101/Phase/CurrentState"}, methods)
    pv = Analog("BR-101/TIC-101/PV", f"{ROOT}/BR-101/TIC-101/PV", "ns=2;s=BR-101/TIC-101/PV", "BR-101", 4408652, "°C",
                -150.0, 150.0)
    sp = Analog("BR-101/TIC-101/SP", f"{ROOT}/BR-101/TIC-101/SP", "ns=2;s=BR-101/TIC-101/SP", "BR-101", 4408652, "°C",
                36.5, 37.5)
    paths = {unit.node_id: unit.path, pv.node_id: pv.path, sp.node_id: sp.path,
             "ns=2;s=BR-101/Phase": f"{ROOT}/BR-101/Phase"}
    return Plant({"BR-101": unit}, {pv.tag: pv}, {sp.tag: sp}, ("ns=2;s=AuditTrail", "ns=2;s=AuditTrail/GetEntries"),
                 None, {f"{ROOT}/BR-101/TIC-101": "BR-101"}, paths)


class FakeDeltaV:
    url = "opc.tcp://fake-deltav:4840/gxplink/deltav"

    def __init__(self) -> None:
        self.plant = _plant()
        self.down = False
        self.phase: dict[str, Any] = {"state": "IDLE", "batch_id": "", "phase_id": "", "changed_at": None}
        self.setpoint = 37.0
        self.history: list[Sample] = []
        self.journal: list[dict[str, Any]] = []
        self.writes: list[float] = []
        self.live: list[FakeConnection] = []
        self.silent_for = 0.0  # seconds since the last publish response: > the stale threshold = a dead subscription
        self.connects = 0

    async def connect(self) -> FakeConnection:
        if self.down:
            raise RetryableError("fake DeltaV refuses connections")
        self.connects += 1
        return FakeConnection(self)

    async def probe(self) -> bool:
        return not self.down

    async def set_down(self, down: bool) -> None:
        self.down = down
        for connection in list(self.live) if down else []:
            connection.lose("fake DeltaV went down")

    def reading(self, value: float) -> Sample:
        """The controller scans the PV: history keeps it, live sessions get it."""
        pv = self.plant.pvs["BR-101/TIC-101/PV"]
        sample = Sample(pv.path, value, "Good", datetime.now(UTC), datetime.now(UTC))
        self.history.append(sample)
        for connection in self.live:
            if connection.sink is not None:
                connection.sink.data_change(sample)
        return sample

    def command(self, method: str, user: str, batch_id: str = "", phase_id: str = "", reason: str = "") -> str:
        old = self.phase["state"]
        new = TRANSITIONS.get((method, old))
        if new is None:
            raise BadStatus("BadInvalidState", f"{method} is not allowed in state {old}")
        if method == "Start":
            self.phase.update(batch_id=batch_id, phase_id=phase_id or "PH-0501")
        self.phase.update(state=new, reason=reason, changed_at=datetime.now(UTC))
        self._journal(user, method.lower(), "phase", "BR-101", "state", old, new, reason)
        fields = {"EventId": new_id().replace("-", ""), "EventType": "ns=2;s=PhaseStateEventType",
                  "Time": self.phase["changed_at"], "Message": f"BR-101 {old} -> {new}", "Severity": 200,
                  "Unit": "BR-101", "BatchId": self.phase["batch_id"], "PhaseId": self.phase["phase_id"],
                  "FromState": old, "ToState": new, "Reason": reason, "ClientUserId": user}
        for connection in self.live:
            if connection.sink is not None:
                connection.sink.event(EventNote(f"{ROOT}/BR-101/Phase", fields))
        return new

    def _journal(self, user: str, action: str, kind: str, record: str, field: str, old: Any, new: Any,
                 reason: str | None) -> None:
        self.journal.append({"seq": len(self.journal) + 1, "at": datetime.now(UTC).isoformat(), "user": user,
                             "action": action, "record_type": kind, "record_id": record, "field": field,
                             "old": old, "new": new, "reason": reason or None})


class FakeConnection:
    def __init__(self, dcs: FakeDeltaV) -> None:
        self.dcs, self.closed = dcs, False
        self.sink: NotificationSink | None = None

    def _check(self) -> None:
        if self.closed or self.dcs.down:
            raise RetryableError("fake DeltaV session is gone")

    def lose(self, reason: str) -> None:
        self.closed = True
        if self in self.dcs.live:
            self.dcs.live.remove(self)
        if self.sink is not None:
            self.sink.lost(reason)

    async def browse(self) -> Plant:
        self._check()
        return self.dcs.plant

    async def subscribe(self, plant: Plant, sink: NotificationSink) -> None:
        self._check()
        self.sink = sink
        self.dcs.live.append(self)

    def seconds_since_publish(self) -> float | None:
        return self.dcs.silent_for

    async def read_values(self, node_ids: list[str]) -> list[Any]:
        self._check()
        return [len(self.dcs.journal) if "LastSeq" in n else None for n in node_ids]

    async def read_phases(self, plant: Plant) -> list[PhaseSnapshot]:
        self._check()
        p = self.dcs.phase
        return [PhaseSnapshot("BR-101", p["state"], p["batch_id"], p["phase_id"], p["changed_at"])]

    async def history(self, pv: Analog, start: datetime) -> list[Sample]:
        self._check()
        return [s for s in self.dcs.history if s.source_time and s.source_time >= start]

    async def refresh_conditions(self) -> None:
        self._check()

    async def write(self, sp: Analog, value: float) -> None:
        self._check()
        if not (sp.low or 0) <= value <= (sp.high or 0):
            raise BadStatus("BadOutOfRange", f"{sp.tag} accepts {sp.low} to {sp.high}")
        old, self.dcs.setpoint = self.dcs.setpoint, value
        self.dcs.writes.append(value)
        self.dcs._journal("opcua.integration", "write", "setpoint", sp.tag, "SP", old, value, None)

    async def call(self, unit: UnitInfo, method: str, arguments: list[str]) -> str:
        self._check()
        named = dict(zip(unit.methods[method][1], arguments, strict=True))
        return self.dcs.command(method, "opcua.integration", named.get("BatchId", ""), named.get("PhaseId", ""),
                                named.get("Reason", ""))

    async def audit_entries(self, after: int, limit: int) -> list[str]:
        self._check()
        return [json.dumps(e) for e in self.dcs.journal if e["seq"] > after][:limit]

    async def close(self) -> None:
        self.closed = True
        if self in self.dcs.live:
            self.dcs.live.remove(self)
