"""OPC UA events of the followed units: phase state changes and limit alarms, each published once.

- A repeated EventId (the duplicate fault, or a notification delivered twice) is skipped here;
  its message id derives from the EventId, so JetStream would drop it as well.
- Phase: an event for the transition a phase read already reported (the read raced the event
  after a reconnect) is not published again.
- Alarm: the occurrence is the condition plus the time it became active. The server's
  `ActiveState/TransitionTime` is used when it sends one; otherwise the adapter fills it from the
  activating event's Time, remembered (persisted) until the clear, so raise and clear name the same
  alarm_id. An active event with the EventId already published (ConditionRefresh) is skipped.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from adapters.deltav.model import EventNote, Plant
from adapters.deltav.records import PhaseContext, event_record
from adapters.deltav.state import AlarmMemory

if TYPE_CHECKING:
    from adapters.deltav.translate import Translator

PHASE_STATE, ALARM = "deltav/phase_state", "deltav/alarm"
RECENT = 2000


class EventTranslator:
    def __init__(self, translator: Translator) -> None:
        self.t = translator
        self._recent: OrderedDict[str, None] = OrderedDict()

    def _seen(self, event_id: str) -> bool:
        if not event_id:
            return False
        if event_id in self._recent:
            return True
        self._recent[event_id] = None
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        return False

    async def handle(self, note: EventNote, plant: Plant) -> None:
        unit = plant.unit_of_path(note.source_path)
        if unit is None or self._seen(str(note.fields.get("EventId") or "")):
            return
        if "ToState" in note.fields:
            await self._phase(note, plant, unit)
        elif "ConditionId" in note.fields:
            await self._alarm(note, plant, unit)

    async def _phase(self, note: EventNote, plant: Plant, unit: str) -> None:
        fields, state = note.fields, self.t.state
        to, batch = str(fields.get("ToState") or ""), str(fields.get("BatchId") or "")
        memory = state.phases.get(unit)
        if memory and memory.from_read and (memory.context.state, memory.context.batch_id) == (to, batch):
            await state.remember_phase(unit, memory.context, from_read=False)  # the read reported it already
            return
        before = memory.context if memory else None
        await self.t.publish(event_record(note, plant.units.get(unit), before), PHASE_STATE)
        when = fields.get("Time")
        await state.remember_phase(unit, PhaseContext(to, batch, str(fields.get("PhaseId") or ""),
                                                      when if isinstance(when, datetime) else None), from_read=False)

    async def _alarm(self, note: EventNote, plant: Plant, unit: str) -> None:
        fields, state = note.fields, self.t.state
        condition, event_id = str(fields["ConditionId"]), str(fields.get("EventId") or "")
        active = bool(fields.get("ActiveState/Id"))
        memory = state.alarms.get(condition)
        if active and memory is not None and memory.event_id == event_id:
            return  # re-sent by ConditionRefresh: published when it happened
        since: Any = fields.get("ActiveState/TransitionTime")
        if since is None:
            since = memory.since if memory is not None else (fields.get("Time") if active else None)
        if since is not None:
            note = replace(note, fields={**fields, "ActiveState/TransitionTime": since})
        await self.t.publish(event_record(note, plant.units.get(unit), self.t.context(unit)), ALARM)
        stamp = since.isoformat() if isinstance(since, datetime) else str(since)
        await state.remember_alarm(condition, AlarmMemory(stamp, event_id) if active and since is not None else None)
