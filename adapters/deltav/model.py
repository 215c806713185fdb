"""What the adapter knows of the plant (from browsing) and what arrives from it, free of asyncua types.

Browse paths are the BrowseNames from the Objects folder joined by '/', e.g.
`DeltaV/CAM-CP/CP-1/BR-101/TIC-101/PV`; tags are DeltaV tag paths (`BR-101/TIC-101/PV`, the string
identifier of the NodeId). Timestamps are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACTIVE_PHASE_STATES = ("RUNNING", "HOLDING", "HELD", "RESTARTING", "STOPPING", "ABORTING")


@dataclass(frozen=True)
class ChildRef:
    """One forward hierarchical reference as browsed: the child's node id, browse name and kind."""

    node_id: str
    name: str
    node_class: str  # Object, Variable, Method
    type_name: str  # browse name of its type definition, e.g. UnitType, AnalogItemType


@dataclass(frozen=True)
class Analog:
    """A PV or SP variable with its engineering unit (EUInformation) and EURange."""

    tag: str
    path: str
    node_id: str
    unit: str  # the unit (equipment) id, e.g. BR-101
    eu_unit_id: int | None
    eu_display: str | None
    low: float | None
    high: float | None

    def deadband(self, percent: float) -> float:
        """Absolute deadband: `percent` of the EURange span (0 when the span is unknown)."""
        if self.low is None or self.high is None or percent <= 0:
            return 0.0
        return abs(self.high - self.low) * percent / 100


@dataclass(frozen=True)
class UnitInfo:
    unit: str
    path: str
    node_id: str
    phase_path: str | None = None
    phase_node_id: str | None = None
    phase_vars: dict[str, str] = field(default_factory=dict)  # CurrentState, BatchId... -> node id
    methods: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # name -> (node id, inputs)


@dataclass(frozen=True)
class Plant:
    units: dict[str, UnitInfo]
    pvs: dict[str, Analog]  # by tag
    sps: dict[str, Analog]  # by tag
    audit: tuple[str, str] | None = None  # (AuditTrail node id, GetEntries method node id)
    last_seq_node: str | None = None
    modules: dict[str, str] = field(default_factory=dict)  # control module browse path -> unit id
    paths: dict[str, str] = field(default_factory=dict)  # node id -> browse path, for notifications

    def unit_of_path(self, path: str) -> str | None:
        """The unit a browse path lies under (the unit itself, its modules, its phase)."""
        best = None
        for unit in self.units.values():
            if (path == unit.path or path.startswith(unit.path + "/")) and (best is None or len(unit.path) >
                                                                            len(best.path)):
                best = unit
        return best.unit if best else None

    def pv_by_path(self, path: str) -> Analog | None:
        return next((a for a in self.pvs.values() if a.path == path), None)


@dataclass(frozen=True)
class Sample:
    """One data change (or history sample) of a variable."""

    path: str
    value: Any
    status: str  # status code name: Good, BadInternalError, UncertainLastUsableValue...
    source_time: datetime | None
    server_time: datetime | None = None


@dataclass(frozen=True)
class EventNote:
    """One OPC UA event: its fields by select-clause browse path, already JSON-able."""

    source_path: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class PhaseSnapshot:
    """The Phase variables of a unit as read (after a (re)connect or a resync)."""

    unit: str
    state: str
    batch_id: str
    phase_id: str
    changed_at: datetime | None
    status: str = "Good"
