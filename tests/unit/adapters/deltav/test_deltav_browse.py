"""Browsing the ISA-88 model: configured areas and units only, once each, with units, ranges and methods."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.deltav.browse import build_plant, tag_of
from adapters.deltav.errors import BadStatus
from adapters.deltav.model import ChildRef

pytestmark = pytest.mark.unit


def obj(node: str, name: str, kind: str, node_class: str = "Object") -> ChildRef:
    return ChildRef(f"ns=2;s={node}", name, node_class, kind)


TREE: dict[str, list[ChildRef]] = {
    "ns=2;s=DeltaV": [obj("CAM-CP", "CAM-CP", "AreaType"), obj("OTHER", "OTHER", "AreaType"),
                      obj("AuditTrail", "AuditTrail", "AuditTrailType"), obj("JobOrderControl", "JobOrderControl", "")],
    "ns=2;s=CAM-CP": [obj("CP-1", "CP-1", "ProcessCellType")],
    "ns=2;s=OTHER": [obj("X-1", "X-1", "UnitType")],
    "ns=2;s=CP-1": [obj("BR-101", "BR-101", "UnitType"), obj("CW-101", "CW-101", "UnitType")],
    "ns=2;s=BR-101": [obj("BR-101/TIC-101", "TIC-101", "ControlModuleType"), obj("BR-101/Phase", "Phase", "PhaseType")],
    "ns=2;s=BR-101/TIC-101": [obj("BR-101/TIC-101/PV", "PV", "AnalogItemType", "Variable"),
                              obj("BR-101/TIC-101/SP", "SP", "AnalogItemType", "Variable"),
                              obj("BR-101/TIC-101/PV_ALM", "PV_ALM", "BaseDataVariableType", "Variable")],
    "ns=2;s=BR-101/TIC-101/PV": [ChildRef("ns=0;i=1", "EngineeringUnits", "Variable", "PropertyType"),
                                 ChildRef("ns=0;i=2", "EURange", "Variable", "PropertyType")],
    "ns=2;s=BR-101/TIC-101/SP": [ChildRef("ns=0;i=3", "EngineeringUnits", "Variable", "PropertyType"),
                                 ChildRef("ns=0;i=4", "EURange", "Variable", "PropertyType")],
    "ns=2;s=BR-101/Phase": [obj("BR-101/Phase/CurrentState", "CurrentState", "", "Variable"),
                            obj("BR-101/Phase/Start", "Start", "", "Method")],
    "ns=2;s=BR-101/Phase/Start": [ChildRef("ns=0;i=5", "InputArguments", "Variable", "PropertyType")],
    "ns=2;s=AuditTrail": [obj("AuditTrail/LastSeq", "LastSeq", "", "Variable"),
                          obj("AuditTrail/GetEntries", "GetEntries", "", "Method")],
}
VALUES: dict[str, Any] = {
    "ns=0;i=1": {"UnitId": 4408652, "DisplayName": "°C"}, "ns=0;i=2": {"Low": -150.0, "High": 150.0},
    "ns=0;i=3": {"UnitId": 4408652, "DisplayName": "°C"}, "ns=0;i=4": {"Low": 36.5, "High": 37.5},
    "ns=0;i=5": [{"Name": "BatchId"}, {"Name": "PhaseId"}],
}


class Tree:
    def __init__(self) -> None:
        self.browsed: list[str] = []

    async def root(self, name: str) -> ChildRef | None:
        return obj("DeltaV", "DeltaV", "FolderType") if name == "DeltaV" else None

    async def children(self, node_id: str) -> list[ChildRef]:
        self.browsed.append(node_id)
        return TREE.get(node_id, [])

    async def read_values(self, node_ids: list[str]) -> list[Any]:
        return [VALUES.get(n) for n in node_ids]


async def test_the_configured_area_and_unit_are_browsed_with_units_ranges_and_methods() -> None:
    tree = Tree()
    plant = await build_plant(tree, "DeltaV", ["CAM-CP"], ["BR-101"])
    assert list(plant.units) == ["BR-101"] and "ns=2;s=OTHER" not in tree.browsed
    pv, sp = plant.pvs["BR-101/TIC-101/PV"], plant.sps["BR-101/TIC-101/SP"]
    assert (pv.path, pv.eu_unit_id, pv.deadband(0.5)) == ("DeltaV/CAM-CP/CP-1/BR-101/TIC-101/PV", 4408652, 1.5)
    assert (sp.low, sp.high) == (36.5, 37.5)
    assert plant.units["BR-101"].methods["Start"] == ("ns=2;s=BR-101/Phase/Start", ("BatchId", "PhaseId"))
    assert plant.audit == ("ns=2;s=AuditTrail", "ns=2;s=AuditTrail/GetEntries")
    assert plant.unit_of_path("DeltaV/CAM-CP/CP-1/BR-101/TIC-101") == "BR-101"
    assert plant.paths["ns=2;s=AuditTrail/LastSeq"] == "DeltaV/AuditTrail/LastSeq"


async def test_a_configured_unit_that_does_not_exist_is_refused() -> None:
    with pytest.raises(BadStatus, match="BR-999"):
        await build_plant(Tree(), "DeltaV", [], ["BR-999"])
    with pytest.raises(BadStatus, match="no 'Plant' object"):
        await build_plant(Tree(), "Plant", [], [])
    assert tag_of("ns=2;s=BR-101/TIC-101/PV", "x") == "BR-101/TIC-101/PV" and tag_of("ns=2;i=7", "a/b") == "a/b"
