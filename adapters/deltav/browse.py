"""Browsing the configured areas and units of the ISA-88 physical model into a `Plant`.

Objects/<root>/<Area>/<ProcessCell>/<Unit>/<ControlModule>/{PV,SP} and <Unit>/Phase, told apart by
their type definitions (AreaType, ProcessCellType, UnitType, ControlModuleType, PhaseType), as a
DeltaV OPC UA server exposes them. Only forward hierarchical references that are not event
notifier links are followed, so a unit reachable both by HasComponent and HasNotifier appears once.
Engineering units, EU ranges and method signatures are read once per session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.deltav.errors import BadStatus
from adapters.deltav.model import Analog, ChildRef, Plant, UnitInfo

DESCEND = {"AreaType", "ProcessCellType"}
MAX_DEPTH = 8


class Browser(Protocol):
    async def root(self, name: str) -> ChildRef | None: ...
    async def children(self, node_id: str) -> list[ChildRef]: ...
    async def read_values(self, node_ids: list[str]) -> list[Any]: ...


@dataclass
class _Found:
    units: dict[str, UnitInfo] = field(default_factory=dict)
    analogs: list[tuple[ChildRef, str, str, dict[str, str]]] = field(default_factory=list)  # ref, path, unit, props
    modules: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    audit: tuple[str, str] | None = None
    last_seq: str | None = None


def tag_of(node_id: str, path: str) -> str:
    """The DeltaV tag: the string identifier of the NodeId (`ns=2;s=BR-101/TIC-101/PV`), else the path."""
    _, marker, identifier = node_id.partition(";s=")
    return identifier if marker else path


async def build_plant(b: Browser, root_name: str, areas: list[str], units: list[str]) -> Plant:
    root = await b.root(root_name)
    if root is None:
        raise BadStatus("BadNoMatch", f"no {root_name!r} object under Objects")
    found = _Found()
    for ref in await b.children(root.node_id):
        path = f"{root_name}/{ref.name}"
        found.paths[ref.node_id] = path
        if ref.type_name == "AreaType" and (not areas or ref.name in areas):
            await _descend(b, ref, path, None, units, found, 1)
        elif ref.type_name == "AuditTrailType":
            await _audit_trail(b, ref, path, found)
    missing = sorted(set(units) - set(found.units))
    if missing:
        raise BadStatus("BadNoMatch", f"configured units not found under {root_name}: {', '.join(missing)}")
    pvs, sps = await _analogs(b, found)
    return Plant(found.units, pvs, sps, found.audit, found.last_seq, found.modules, found.paths)


async def _descend(b: Browser, node: ChildRef, path: str, unit: str | None, wanted: list[str], found: _Found,
                   depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    for ref in await b.children(node.node_id):
        child = f"{path}/{ref.name}"
        if ref.type_name == "UnitType" and wanted and ref.name not in wanted:
            continue
        found.paths[ref.node_id] = child
        if ref.type_name in DESCEND:
            await _descend(b, ref, child, unit, wanted, found, depth + 1)
        elif ref.type_name == "UnitType":
            found.units[ref.name] = UnitInfo(ref.name, child, ref.node_id)
            await _descend(b, ref, child, ref.name, wanted, found, depth + 1)
        elif ref.type_name == "ControlModuleType" and unit:
            found.modules[child] = unit
            await _descend(b, ref, child, unit, wanted, found, depth + 1)
        elif ref.type_name == "AnalogItemType" and unit and ref.name in ("PV", "SP"):
            props = {p.name: p.node_id for p in await b.children(ref.node_id)}
            found.analogs.append((ref, child, unit, props))
        elif ref.type_name == "PhaseType" and unit:
            found.units[unit] = await _phase(b, found.units[unit], ref, child, found)


async def _phase(b: Browser, unit: UnitInfo, node: ChildRef, path: str, found: _Found) -> UnitInfo:
    variables, methods = {}, {}
    for ref in await b.children(node.node_id):
        found.paths[ref.node_id] = f"{path}/{ref.name}"
        if ref.node_class == "Variable":
            variables[ref.name] = ref.node_id
        elif ref.node_class == "Method":
            inputs = [p.node_id for p in await b.children(ref.node_id) if p.name == "InputArguments"]
            arguments = (await b.read_values(inputs))[0] if inputs else []
            methods[ref.name] = (ref.node_id, tuple(str(a.get("Name")) for a in arguments or []))
    return UnitInfo(unit.unit, unit.path, unit.node_id, path, node.node_id, variables, methods)


async def _audit_trail(b: Browser, node: ChildRef, path: str, found: _Found) -> None:
    children = {ref.name: ref.node_id for ref in await b.children(node.node_id)}
    for name, node_id in children.items():
        found.paths[node_id] = f"{path}/{name}"
    if "GetEntries" in children:
        found.audit = (node.node_id, children["GetEntries"])
    found.last_seq = children.get("LastSeq")


async def _analogs(b: Browser, found: _Found) -> tuple[dict[str, Analog], dict[str, Analog]]:
    wanted = [(props.get("EngineeringUnits"), props.get("EURange")) for _, _, _, props in found.analogs]
    ids = [i for pair in wanted for i in pair if i]
    values = dict(zip(ids, await b.read_values(ids) if ids else [], strict=True))
    pvs: dict[str, Analog] = {}
    sps: dict[str, Analog] = {}
    for (ref, path, unit, _), (eu_id, range_id) in zip(found.analogs, wanted, strict=True):
        eu = values.get(eu_id or "") or {}
        span = values.get(range_id or "") or {}
        analog = Analog(tag_of(ref.node_id, path), path, ref.node_id, unit, eu.get("UnitId"), eu.get("DisplayName"),
                        span.get("Low"), span.get("High"))
        (pvs if ref.name == "PV" else sps)[analog.tag] = analog
    return pvs, sps
