"""What the adapter remembers across sessions and restarts, persisted in the cursor store.

- watermarks: per PV, the SourceTimestamp of the last sample published (or dead-lettered) and the
  last published value (the deadband reference). A backfill starts there; live samples at or before
  it are already covered. Saved every few seconds and at stop (after JetStream acknowledged them).
- phases: per unit, the last known state and batch, and whether it came from a read (a snapshot) or
  an event, so an event for a transition a read already reported is not published twice.
- alarms: per active condition, when it became active and the EventId published for it, so that
  ConditionRefresh re-sending it publishes nothing and the clear names the same occurrence.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from adapters.deltav.records import PhaseContext
from storage.cursors import CursorStore

KEYS = {"watermarks": "adapter.deltav.watermarks", "phases": "adapter.deltav.phases",
        "alarms": "adapter.deltav.alarms"}


@dataclass(frozen=True)
class Mark:
    time: datetime
    value: float | None


@dataclass(frozen=True)
class PhaseMemory:
    context: PhaseContext
    from_read: bool


@dataclass(frozen=True)
class AlarmMemory:
    since: str  # ISO time the occurrence became active
    event_id: str


class AdapterState:
    def __init__(self, cursors: CursorStore) -> None:
        self.cursors = cursors
        self.watermarks: dict[str, Mark] = {}
        self.phases: dict[str, PhaseMemory] = {}
        self.alarms: dict[str, AlarmMemory] = {}
        self._dirty = False

    async def load(self) -> None:
        marks = await self._get("watermarks")
        self.watermarks = {tag: Mark(datetime.fromisoformat(m["time"]), m["value"]) for tag, m in marks.items()}
        self.phases = {unit: PhaseMemory(_context(m["context"]), m["from_read"])
                       for unit, m in (await self._get("phases")).items()}
        self.alarms = {cond: AlarmMemory(**m) for cond, m in (await self._get("alarms")).items()}
        self._dirty = False

    async def _get(self, what: str) -> dict[str, Any]:
        raw = await self.cursors.get(KEYS[what])
        return json.loads(raw) if raw else {}

    def advance(self, tag: str, time: datetime, value: float | None) -> None:
        old = self.watermarks.get(tag)
        self.watermarks[tag] = Mark(time, value if value is not None else (old.value if old else None))
        self._dirty = True

    async def save_watermarks(self) -> None:
        if self._dirty:
            self._dirty = False
            doc = {tag: {"time": m.time.isoformat(), "value": m.value} for tag, m in self.watermarks.items()}
            await self.cursors.set(KEYS["watermarks"], json.dumps(doc))

    async def remember_phase(self, unit: str, context: PhaseContext, from_read: bool) -> None:
        self.phases[unit] = PhaseMemory(context, from_read)
        doc = {u: {"context": _dump(m.context), "from_read": m.from_read} for u, m in self.phases.items()}
        await self.cursors.set(KEYS["phases"], json.dumps(doc))

    async def remember_alarm(self, condition: str, memory: AlarmMemory | None) -> None:
        if memory is None:
            self.alarms.pop(condition, None)
        else:
            self.alarms[condition] = memory
        await self.cursors.set(KEYS["alarms"], json.dumps({c: asdict(m) for c, m in self.alarms.items()}))


def _dump(context: PhaseContext) -> dict[str, Any]:
    doc = asdict(context)
    doc["changed_at"] = context.changed_at.isoformat() if context.changed_at else None
    return doc


def _context(doc: dict[str, Any]) -> PhaseContext:
    changed = doc.get("changed_at")
    return PhaseContext(doc["state"], doc["batch_id"], doc.get("phase_id", ""),
                        datetime.fromisoformat(changed) if changed else None)
