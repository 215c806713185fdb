"""The OPC UA records the DeltaV mappings read: `{"node": <browse path>, "nodes": {<browse path>: {<Attribute>: v}}}`.

`node` is the browse path (from the Objects folder) of what triggered the record: the variable of a
data change, the SourceNode of an event, the Phase/CurrentState variable of a phase read. Its entry
holds the OPC UA attributes (Value, StatusCode, SourceTimestamp, NodeId...), the properties the
mapping needs (`EngineeringUnits/UnitId`, `EngineeringUnits/DisplayName`) or the event fields by
their select-clause path (`ActiveState/Id`, `LimitState/CurrentState`). Context of the unit the
trigger belongs to is added under `$unit` (its BrowseName and NodeId) and `$unit/Phase/<Variable>`
(CurrentState, BatchId, PhaseId, StateChangedAt as last known), the way `$node` names the trigger.
Times are ISO 8601 UTC; NaN and infinities are written as text, which the mappings refuse.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.deltav.model import Analog, EventNote, PhaseSnapshot, Sample, UnitInfo


@dataclass(frozen=True)
class PhaseContext:
    """What the adapter last knew of a unit's phase, from events and reads."""

    state: str
    batch_id: str
    phase_id: str = ""
    changed_at: datetime | None = None


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _unit_nodes(unit: UnitInfo | None, context: PhaseContext | None) -> dict[str, Any]:
    if unit is None:
        return {}
    nodes: dict[str, Any] = {"$unit": {"BrowseName": unit.unit, "NodeId": unit.node_id}}
    if context is not None:
        nodes["$unit/Phase/CurrentState"] = {"Value": context.state}
        nodes["$unit/Phase/BatchId"] = {"Value": context.batch_id}
    return nodes


def encode(node: str, attributes: dict[str, Any], extra: dict[str, Any]) -> bytes:
    return json.dumps(_json({"node": node, "nodes": {node: attributes, **extra}}), ensure_ascii=False,
                      separators=(",", ":")).encode()


def sample_record(pv: Analog, sample: Sample, unit: UnitInfo | None, context: PhaseContext | None) -> bytes:
    attributes = {"NodeId": pv.node_id, "Value": sample.value, "StatusCode": sample.status,
                  "SourceTimestamp": sample.source_time, "ServerTimestamp": sample.server_time,
                  "EngineeringUnits/UnitId": pv.eu_unit_id, "EngineeringUnits/DisplayName": pv.eu_display}
    return encode(pv.path, attributes, _unit_nodes(unit, context))


def event_record(note: EventNote, unit: UnitInfo | None, context: PhaseContext | None) -> bytes:
    return encode(note.source_path, dict(note.fields), _unit_nodes(unit, context))


def phase_read_record(unit: UnitInfo, snapshot: PhaseSnapshot) -> bytes:
    """The Phase variables as read: CurrentState is the trigger, the others its unit's context."""
    context = PhaseContext(snapshot.state, snapshot.batch_id, snapshot.phase_id, snapshot.changed_at)
    extra = _unit_nodes(unit, context)
    extra["$unit/Phase/PhaseId"] = {"Value": snapshot.phase_id}
    extra["$unit/Phase/StateChangedAt"] = {"Value": snapshot.changed_at}
    node = f"{unit.phase_path}/CurrentState"
    attributes = {"NodeId": unit.phase_vars.get("CurrentState"), "Value": snapshot.state,
                  "StatusCode": snapshot.status}
    return encode(node, attributes, extra)
