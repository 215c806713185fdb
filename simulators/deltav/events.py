"""OPC UA events DeltaV raises: limit alarms (Alarms & Conditions), phase state changes and audit events.

asyncua delivers an event only to subscriptions on the node that emitted it, so each event is
emitted on every notifier up the ISA-88 hierarchy (unit, process cell, area, Server) with one
EventId, as a server with a HasNotifier tree would propagate it. Times come from the simulated clock.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from asyncua import ua
from asyncua.server.server import Server

from simulators.common.audit import AuditEntry
from simulators.common.clock import SimClock
from simulators.deltav.plant import EQUIPMENT_BY_ID, Loop
from simulators.deltav.security import APPLICATION_URI
from simulators.deltav.uatypes import AttributeIds, ObjectIds, new_event, node_id, status

ALARM_SEVERITY = 700  # DeltaV WARNING priority on a CPP limit
_PHASE_SEVERITY = {"HOLDING": 400, "HELD": 400, "STOPPING": 500, "STOPPED": 500, "ABORTING": 600, "ABORTED": 600}
_LIMIT_TEXT = {"HI": "High", "LO": "Low"}


def notifier_chain(ns: int, unit: str) -> list[ua.NodeId]:
    """The unit and its process cell and area, then the Server object."""
    chain, current = [], unit
    while current:
        chain.append(node_id(current, ns))
        current = EQUIPMENT_BY_ID[current]["parent"]
    return [*chain, node_id(ObjectIds.Server)]


class EventSink:
    def __init__(self, server: Server, clock: SimClock) -> None:
        self.subscriptions = server.iserver.subscription_service
        self.clock = clock

    async def emit(self, event: Any, emitters: list[ua.NodeId]) -> None:
        now = self.clock.now()
        event.EventId = uuid.uuid4().bytes
        event.Time = event.ReceiveTime = now
        if hasattr(event, "ActionTimeStamp"):
            event.ActionTimeStamp = now
        for node in emitters:
            event.emitting_node = node
            await self.subscriptions.trigger_event(event)


def _base(event: Any, source: ua.NodeId, source_name: str, message: str, severity: int) -> Any:
    event.SourceNode, event.SourceName = source, source_name
    event.Message, event.Severity = ua.LocalizedText(message), severity
    return event


def alarm_event(ns: int, loop: Loop, state: str, value: float) -> Any:
    """An ExclusiveLimitAlarmType event: the condition is the module's PV_ALM, its input the PV."""
    active = state != "NORMAL"
    value_text = "NaN" if math.isnan(value) else f"{value:.3f}"
    if active:
        limit = loop.hi if state == "HI" else loop.lo
        message = f"{loop.module} {loop.name} {state} alarm: PV {value_text} {loop.ucum} beyond {state}_LIM {limit}"
    else:
        message = f"{loop.module} {loop.name} alarm cleared: PV {value_text} {loop.ucum} back within limits"
    event = _base(new_event("ExclusiveLimitAlarm"), node_id(loop.module, ns), loop.module, message,
                  ALARM_SEVERITY if active else 100)
    event.add_property("NodeId", node_id(f"{loop.module}/PV_ALM", ns), ua.VariantType.NodeId)
    event.add_property("LimitState/CurrentState", ua.LocalizedText(_LIMIT_TEXT.get(state)),
                       ua.VariantType.LocalizedText)
    event.ConditionClassId = node_id(ObjectIds.ProcessConditionClassType)
    event.ConditionClassName = ua.LocalizedText("Process")
    event.ConditionName, event.Retain = "PV_ALM", active
    event.EnabledState = ua.LocalizedText("Enabled")
    setattr(event, "EnabledState/Id", True)
    event.ActiveState = ua.LocalizedText("Active" if active else "Inactive")
    setattr(event, "ActiveState/Id", active)
    event.AckedState = ua.LocalizedText("Unacknowledged" if active else "Acknowledged")
    setattr(event, "AckedState/Id", not active)
    event.InputNode = node_id(loop.tag, ns)
    event.HighLimit, event.LowLimit = loop.hi, loop.lo
    event.Quality, event.LastSeverity = status(), ALARM_SEVERITY
    return event


def phase_event(ns: int, type_id: ua.NodeId, unit: str, unit_state: dict[str, Any], old: str, user: str) -> Any:
    new, reason = unit_state["state"], unit_state.get("reason") or ""
    message = f"{unit} {unit_state.get('phase_id') or 'phase'} {old} -> {new}"
    message += f" (batch {unit_state['batch_id']})" if unit_state.get("batch_id") else ""
    message += f": {reason}" if reason else ""
    event = _base(new_event("BaseEvent"), node_id(f"{unit}/Phase", ns), f"{unit}/Phase", message,
                  _PHASE_SEVERITY.get(new, 200))
    event.EventType = type_id
    for name, value in (("Unit", unit), ("BatchId", unit_state.get("batch_id") or ""),
                        ("PhaseId", unit_state.get("phase_id") or ""), ("FromState", old), ("ToState", new),
                        ("Reason", reason), ("ClientUserId", user)):
        event.add_property(name, value, ua.VariantType.String)
    return event


def _audit(event: Any, user: str, ok: bool) -> Any:
    event.Status = ok
    event.ServerId, event.ClientUserId, event.ClientAuditEntryId = APPLICATION_URI, user, ""
    return event


def audit_entry_event(ns: int, type_id: ua.NodeId, entry: AuditEntry) -> Any:
    change = f"{entry.field}: {entry.old} -> {entry.new}" if entry.field else ""
    message = f"#{entry.seq} {entry.user} {entry.action} {entry.record_type} {entry.record_id} {change}".strip()
    event = _audit(_base(new_event("AuditUpdateEvent"), node_id("AuditTrail", ns), "AuditTrail", message, 100),
                   entry.user, True)
    event.EventType = type_id
    event.add_property("Seq", entry.seq, ua.VariantType.UInt32)
    for name, value in (("Action", entry.action), ("RecordType", entry.record_type), ("RecordId", entry.record_id),
                        ("Field", entry.field), ("OldValue", entry.old), ("NewValue", entry.new),
                        ("Reason", entry.reason)):
        event.add_property(name, "" if value is None else str(value), ua.VariantType.String)
    return event


def audit_write_event(ns: int, tag: str, old: float, new: float, user: str, result: ua.StatusCode) -> Any:
    message = f"{user} wrote {tag}: {old} -> {new} ({result.name})"
    event = _audit(_base(new_event("AuditWriteUpdateEvent"), node_id(tag, ns), tag, message, 100), user,
                   result.is_good())
    event.AttributeId = AttributeIds.Value
    event.add_property("OldValue", old, ua.VariantType.Double)
    event.add_property("NewValue", new, ua.VariantType.Double)
    return event


def audit_method_event(ns: int, object_path: str, method: str, args: list[Any], user: str,
                       result: ua.StatusCode) -> Any:
    message = f"{user} called {object_path}.{method}({', '.join(map(repr, args))}): {result.name}"
    source = node_id(object_path, ns)
    event = _audit(_base(new_event("AuditUpdateMethodEvent"), source, object_path, message, 100), user,
                   result.is_good())
    event.MethodId = node_id(f"{object_path}/{method}", ns)
    event.add_property("StatusCodeId", result, ua.VariantType.StatusCode)
    event.add_property("InputArguments", [ua.Variant(a) for a in args], ua.VariantType.Variant)
    return event
