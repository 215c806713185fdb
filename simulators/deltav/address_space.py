"""The DeltaV address space: Objects/DeltaV/<Area>/<ProcessCell>/<Unit>/<ControlModule>/{PV,SP,...} and phases.

NodeIds are the DeltaV tag paths (`ns=<deltav>;s=BR-101/TIC-101/PV`), so an engineer finds a
tag by the name on the P&ID. Events notify up the ISA-88 hierarchy to the Server object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from asyncua import ua
from asyncua.common.node import Node
from asyncua.ua import VariantType as V

from simulators.deltav import phase
from simulators.deltav.nodes import HISTORY, READ, WRITE, Arg, NodeBuilder
from simulators.deltav.plant import AREAS, LOOPS, PHASES, Loop, children
from simulators.deltav.state import DeltaVState
from simulators.deltav.uatypes import ObjectIds as Ids
from simulators.deltav.uatypes import node_id
from simulators.deltav.units import eu_information, instrument_span

HISTORY_DEPTH = 20_000  # samples kept per PV for HistoryRead (about 2.5 h at the 0.5 s scan rate)
PHASE_VARIABLES: dict[str, tuple[str, V]] = {  # state key -> (variable, type)
    "state": ("CurrentState", V.String), "batch_id": ("BatchId", V.String), "phase_id": ("PhaseId", V.String),
    "phase_name": ("PhaseName", V.String), "unit_procedure": ("UnitProcedure", V.String),
    "reason": ("Reason", V.String), "changed_at": ("StateChangedAt", V.DateTime),
}
_COMMAND_ARGS = {"START": [Arg("BatchId", V.String, "Batch id from the batch executive or MES"),
                           Arg("PhaseId", V.String, "Recipe phase (empty: the unit's first phase)")],
                 "HOLD": [Arg("Reason", V.String, "Why")], "STOP": [Arg("Reason", V.String, "Why")],
                 "ABORT": [Arg("Reason", V.String, "Why")], "RESTART": [], "RESET": []}


class Handlers(Protocol):
    def phase_command(self, unit: str, command: str) -> Callable[..., Any]: ...

    def get_entries(self) -> Callable[..., Any]: ...


@dataclass(frozen=True)
class EventTypes:
    phase_state: ua.NodeId
    audit_entry: ua.NodeId


def phase_values(unit_state: dict[str, Any]) -> dict[str, Any]:
    values = {key: unit_state.get(key) or "" for key in PHASE_VARIABLES}
    changed = unit_state.get("changed_at")
    values["changed_at"] = datetime.fromisoformat(changed) if changed else ua.get_win_epoch()  # OPC UA's null DateTime
    return values


class PlantBuilder:
    def __init__(self, b: NodeBuilder, state: DeltaVState, handlers: Handlers) -> None:
        self.b, self.state, self.handlers = b, state, handlers
        self.historized: list[Node] = []

    async def build(self) -> EventTypes:
        b = self.b
        self.types = {name: await b.object_type(Ids.BaseObjectType, name) for name in
                      ("AreaType", "ProcessCellType", "UnitType", "ControlModuleType", "PhaseType", "AuditTrailType")}
        events = EventTypes(
            await b.object_type(Ids.BaseEventType, "PhaseStateEventType", tuple(
                (n, V.String) for n in ("Unit", "BatchId", "PhaseId", "FromState", "ToState", "Reason",
                                        "ClientUserId"))),
            await b.object_type(Ids.AuditUpdateEventType, "AuditTrailEntryEventType", (
                ("Seq", V.UInt32), *((n, V.String) for n in ("Action", "RecordType", "RecordId", "Field", "OldValue",
                                                               "NewValue", "Reason")))))
        root = await b.object(node_id(Ids.ObjectsFolder), "DeltaV", "DeltaV", "DeltaV", node_id(Ids.FolderType),
                              ref=Ids.Organizes, notifier=True,
                              description="DeltaV plant areas (ISA-88 physical model)")
        for area in AREAS:
            await self._area(root.nodeid, area)
        trail = await b.object(root.nodeid, "AuditTrail", "AuditTrail", "AuditTrail", self.types["AuditTrailType"],
                               notifier=True, description="DeltaV event journal: who changed what, old -> new, why")
        await b.variable(trail.nodeid, "AuditTrail/LastSeq", "LastSeq", 0, V.UInt32,
                         description="Sequence number of the newest audit entry")
        await b.method(trail, "AuditTrail/GetEntries", "GetEntries", self.handlers.get_entries(),
                       [Arg("AfterSeq", V.UInt32, "Return entries after this sequence number"),
                        Arg("MaxEntries", V.UInt32, "At most this many (0: 1000)")],
                       [Arg("Entries", V.String, "One JSON object per entry: seq, at, user, action, record_type, "
                                                 "record_id, field, old, new, reason", array=True)])
        await b.reference(node_id(Ids.Server), trail.nodeid, Ids.HasNotifier)
        return events

    async def _area(self, parent: ua.NodeId, area: dict[str, Any]) -> None:
        node = await self._equipment(parent, area, "AreaType", Ids.Organizes)
        await self.b.reference(node_id(Ids.Server), node.nodeid, Ids.HasNotifier)
        for cell in children(area["id"], "process_cell"):
            cell_node = await self._equipment(node.nodeid, cell, "ProcessCellType", Ids.HasComponent)
            await self.b.reference(node.nodeid, cell_node.nodeid, Ids.HasNotifier)
            for unit in children(str(cell["id"]), "unit"):
                unit_node = await self._equipment(cell_node.nodeid, unit, "UnitType", Ids.HasComponent)
                await self.b.reference(cell_node.nodeid, unit_node.nodeid, Ids.HasNotifier)
                for loop in LOOPS[str(unit["id"])]:
                    await self._loop(unit_node.nodeid, loop)
                await self._phase(unit_node, str(unit["id"]))

    async def _equipment(self, parent: ua.NodeId, eq: dict[str, Any], typename: str, ref: int) -> Node:
        return await self.b.object(parent, eq["id"], eq["id"], f"{eq['id']} {eq['name']}", self.types[typename],
                                   ref=ref, notifier=True, description=f"{eq['name']} ({eq['class']})")

    async def _analog(self, parent: ua.NodeId, path: str, name: str, value: float, loop: Loop, rng: ua.Range,
                      access: int, description: str) -> Node:
        b = self.b
        node = await b.variable(parent, path, name, value, V.Double, typedef=Ids.AnalogItemType, access=access,
                                historizing=bool(access & HISTORY), description=description)
        await b.variable(node.nodeid, f"{path}/EURange", "EURange", rng, V.ExtensionObject, is_property=True,
                         datatype=node_id(Ids.Range))
        await b.variable(node.nodeid, f"{path}/EngineeringUnits", "EngineeringUnits", eu_information(loop.ucum),
                         V.ExtensionObject, is_property=True, datatype=node_id(Ids.EUInformation))
        return node

    async def _loop(self, unit: ua.NodeId, loop: Loop) -> None:
        b, what = self.b, f"{loop.unit} {loop.name}"
        module = await b.object(unit, loop.module, loop.module_tag, f"{loop.module_tag} {loop.name}",
                                self.types["ControlModuleType"], description=f"{what} control module ({loop.tag})")
        pv = await self._analog(module.nodeid, loop.tag, "PV", loop.sp, loop, instrument_span(loop.ucum, loop.lo,
                                loop.hi), READ | HISTORY, f"{what} process value")
        self.historized.append(pv)
        await self._analog(module.nodeid, loop.sp_tag, "SP", self.state.setpoints[loop.sp_tag], loop,
                           ua.Range(Low=loop.lo, High=loop.hi), READ | WRITE,
                           f"{what} set point; writes outside EURange get Bad_OutOfRange")
        await b.variable(module.nodeid, f"{loop.module}/HI_LIM", "HI_LIM", loop.hi, V.Double,
                         description=f"{what} high alarm limit")
        await b.variable(module.nodeid, f"{loop.module}/LO_LIM", "LO_LIM", loop.lo, V.Double,
                         description=f"{what} low alarm limit")
        await b.variable(module.nodeid, f"{loop.module}/PV_ALM", "PV_ALM", self.state.alarms[loop.tag], V.String,
                         description=f"{what} limit alarm state: NORMAL, HI or LO")

    async def _phase(self, unit_node: Node, unit: str) -> None:
        b, path = self.b, f"{unit}/Phase"
        values = phase_values(self.state.unit(unit))
        node = await b.object(unit_node.nodeid, path, "Phase", "Phase", self.types["PhaseType"],
                              description=f"{unit} ISA-88 phase state machine; phases: "
                                          + ", ".join(p.id for p in PHASES[unit]))
        for key, (name, vtype) in PHASE_VARIABLES.items():
            await b.variable(node.nodeid, f"{path}/{name}", name, values[key], vtype)
        await b.variable(node.nodeid, f"{path}/AvailableCommands", "AvailableCommands",
                         phase.available(values["state"]), V.String)
        for command, inputs in _COMMAND_ARGS.items():
            name = command.capitalize()
            await b.method(node, f"{path}/{name}", name, self.handlers.phase_command(unit, command), inputs,
                           [Arg("NewState", V.String, "Phase state after the command")])
