"""The semantic diff: unit-aware comparison, ranges by direction, steps by name, CPP/CQA changes major."""

from __future__ import annotations

import json
from typing import Any

import pytest

from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer.diff import diff_definitions
from tests.unit.transfer.helpers import EXPANSION, at, edited

pytestmark = pytest.mark.unit

TEMPERATURE = "recipe > Expansion > Expansion > Expand > Temperature"


def _kinds(old: ProcessDefinition, new: ProcessDefinition) -> list[tuple[str, str, str]]:
    return [(c.kind, c.path, c.criticality) for c in diff_definitions(old, new).changes]


def test_identical_definitions_have_no_changes(definition: ProcessDefinition) -> None:
    report = diff_definitions(definition, definition)
    assert report.unchanged and report.to_json()["summary"] == {"major": 0, "minor": 0}
    assert "No changes." in report.render_text()


def test_the_same_values_in_other_units_are_no_change(definition: ProcessDefinition) -> None:
    def fahrenheit(document: dict[str, Any]) -> None:
        temperature = at(document, *EXPANSION, 0)
        temperature.update(unit="[degF]", set_point={"value": 98.6, "unit": "[degF]"}, low=96.8, high=100.4)
        at(document, "bom", 4, "quantity").update(value=5000.0, unit="mL")
        at(document, "sampling_plan", 1, "volume").update(value=1000.0, unit="uL")
        at(document, "specifications", 2, "limits", 0).update(low=500.0, high=5000.0, unit="10*3/mL")

    assert _kinds(definition, edited(definition, fahrenheit)) == []


def test_a_widened_cpp_range_is_major(definition: ProcessDefinition) -> None:
    new = edited(definition, lambda d: at(d, *EXPANSION, 0).update(low=35.0, high=39.0))
    [change] = diff_definitions(definition, new).changes
    assert (change.kind, change.path, change.criticality) == ("range_widened", TEMPERATURE, "major")
    assert (change.old, change.new, change.unit) == ([36.0, 38.0], [35.0, 39.0], "Cel")


def test_a_range_in_other_units_is_compared_after_conversion(definition: ProcessDefinition) -> None:
    def fahrenheit(document: dict[str, Any]) -> None:  # 36..38 Cel is 96.8..100.4 [degF]; 97.7 is 36.5 Cel
        at(document, *EXPANSION, 0).update(unit="[degF]", set_point={"value": 98.6, "unit": "[degF]"},
                                           low=97.7, high=100.4)

    [change] = diff_definitions(definition, edited(definition, fahrenheit)).changes
    assert (change.kind, change.old, change.new, change.unit) == ("range_narrowed", [96.8, 100.4], [97.7, 100.4],
                                                                   "[degF]")
    assert change.detail == "previous values converted from Cel"


def test_kpp_changes_are_minor_and_set_points_are_reported(definition: ProcessDefinition) -> None:
    new = edited(definition, lambda d: at(d, *EXPANSION, 3).update(set_point={"value": 12.0, "unit": "/min"},
                                                                   low=8.0))
    assert _kinds(definition, new) == [
        ("set_point_changed", "recipe > Expansion > Expansion > Expand > Rocking rate", "minor"),
        ("range_narrowed", "recipe > Expansion > Expansion > Expand > Rocking rate", "minor")]


def test_a_reclassification_to_cpp_is_major(definition: ProcessDefinition) -> None:
    new = edited(definition, lambda d: at(d, *EXPANSION, 5).update(classification="CPP"))
    [change] = diff_definitions(definition, new).changes
    assert (change.kind, change.old, change.new, change.criticality) == ("classification_changed", "KPP", "CPP",
                                                                         "major")


def test_an_incompatible_unit_is_major(definition: ProcessDefinition) -> None:
    new = edited(definition, lambda d: at(d, *EXPANSION, 5).update(unit="mL", set_point={"value": 7, "unit": "mL"}))
    assert _kinds(definition, new) == [("unit_changed", "recipe > Expansion > Expansion > Expand > Culture duration",
                                        "major")]


def test_added_and_removed_steps(definition: ProcessDefinition) -> None:
    def restructure(document: dict[str, Any]) -> None:
        phases = at(document, "master_recipe", "unit_procedures", 4, "operations", 0, "phases")
        phases.pop(1)  # Perfuse: KPPs only
        phases.append({"name": "Bead removal", "equipment_class": "rocking_motion_bioreactor", "parameters": [
            {"name": "Magnet contact time", "unit": "min", "low": 5.0, "high": 15.0, "classification": "CPP"}]})
        document["master_recipe"]["unit_procedures"].pop(0)  # Apheresis receipt, with CPPs
        document["sampling_plan"].pop(0)

    changes = _kinds(definition, edited(definition, restructure))
    assert ("unit_procedure_removed", "recipe > Apheresis receipt", "major") in changes
    assert ("phase_removed", "recipe > Expansion > Expansion > Perfuse", "minor") in changes
    assert ("phase_added", "recipe > Expansion > Expansion > Bead removal", "major") in changes
    assert ("sampling_point_removed", "sampling_plan[Sample starting material/in_process]", "minor") in changes


def test_a_renamed_operation_is_a_rename_not_a_removal(definition: ProcessDefinition) -> None:
    new = edited(definition, lambda d: at(d, "master_recipe", "unit_procedures", 5, "operations", 0).update(
        name="Harvest and wash"))
    assert _kinds(definition, new) == [("operation_renamed", "recipe > Harvest > Harvest", "minor")]


def test_bom_changes_are_major_and_compared_in_units(definition: ProcessDefinition) -> None:
    def bom(document: dict[str, Any]) -> None:
        at(document, "bom", 3, "quantity")["value"] = 2.5  # more vector
        document["bom"].pop(1)
        document["materials"].append({"material_id": "RM-100610", "name": "Human serum albumin 25%",
                                      "material_class": "raw", "unit": "mL"})
        document["bom"].append({"material_id": "RM-100610", "quantity": {"value": 20.0, "unit": "mL"}})

    report = diff_definitions(definition, edited(definition, bom))
    assert [(c.kind, c.path, c.criticality) for c in report.changes] == [
        ("material_added", "materials[RM-100610]", "minor"),
        ("bom_line_removed", "bom[RM-100210]", "major"),
        ("bom_line_added", "bom[RM-100610]", "major"),
        ("bom_quantity_changed", "bom[RM-100310].quantity", "major")]
    assert (report.changes[-1].old, report.changes[-1].new, report.changes[-1].unit) == (2.0, 2.5, "mL")


def test_specifications_methods_sampling_and_equipment(definition: ProcessDefinition) -> None:
    def quality(document: dict[str, Any]) -> None:
        at(document, "specifications", 0, "limits", 3)["high"] = 4.0  # VCN tightened
        at(document, "specifications", 0)["version"] = 3
        next(m for m in document["analytical_methods"] if m["method_id"] == "TM-VCN-DDPCR")["version"] = 3
        at(document, "sampling_plan", 1)["tests"] = ["VCC"]
        document["equipment_classes"].append("cell_counter")

    changes = _kinds(definition, edited(definition, quality))
    assert changes == [
        ("equipment_class_added", "equipment_classes[cell_counter]", "minor"),
        ("specification_changed", "specifications[SPEC-CART19-REL].version", "minor"),
        ("limit_narrowed", "specifications[SPEC-CART19-REL].limits[VCN]", "major"),
        ("method_changed", "analytical_methods[TM-VCN-DDPCR].version", "minor"),
        ("sampling_point_changed", "sampling_plan[Expand/in_process].tests", "minor")]


def test_the_report_renders_as_text_and_json(definition: ProcessDefinition) -> None:
    new = edited(definition, lambda d: at(d, *EXPANSION, 0).update(low=35.0, high=39.0))
    report = diff_definitions(definition, new)
    assert report.render_text() == (
        "Process definition diff: PD-CART19 v1 -> PD-CART19 v1\n1 major, 0 minor\n"
        f"[MAJOR] range_widened: {TEMPERATURE}: 36..38 Cel -> 35..39 Cel\n")
    document = json.loads(json.dumps(report.to_json()))
    assert document["changes"][0] == {"kind": "range_widened", "path": TEMPERATURE, "old": [36.0, 38.0],
                                      "new": [35.0, 39.0], "criticality": "major", "unit": "Cel", "detail": ""}
