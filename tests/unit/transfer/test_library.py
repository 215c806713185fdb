"""The bundled library: every file validates, the CAR-T process composes, bad files are named precisely."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer.library import compose_process, library_root, list_library, validate_library
from orchestrator.transfer.problems import ProblemsError
from simulators import reference

pytestmark = pytest.mark.unit

UNIT_OPERATIONS = ["apheresis-receipt", "t-cell-selection", "activation", "transduction", "expansion", "harvest",
                   "formulation-fill", "cryopreservation"]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An editable copy of the bundled library."""
    return Path(shutil.copytree(str(library_root()), tmp_path / "library"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_every_bundled_file_validates() -> None:
    assert validate_library() == []


def test_the_library_lists_unit_operations_panel_process_and_site_map() -> None:
    entries = {(e.kind, e.id): e for e in list_library()}
    assert {i for k, i in entries if k == "unit_operation"} == set(UNIT_OPERATIONS)
    assert ("qc_panel", "cell-therapy-release") in entries
    assert entries["process", "car-t-autologous"].file == "processes/car-t-autologous.yaml"
    assert ("site_map", "cdmo-example") in entries


def test_the_car_t_process_composes_unit_operations_in_order(definition: ProcessDefinition) -> None:
    assert (definition.definition_id, definition.status, definition.product) == ("PD-CART19", "draft", "CART-19")
    names = [up.name for up in definition.master_recipe.unit_procedures]
    assert names == ["Apheresis receipt", "T-cell selection", "Activation", "Transduction", "Expansion", "Harvest",
                     "Formulation and fill", "Cryopreservation"]
    expand = definition.master_recipe.unit_procedures[4].operations[0].phases[0]
    temperature = next(p for p in expand.parameters if p.name == "Temperature")
    assert temperature.set_point is not None and temperature.set_point.unit == "Cel"  # shorthand set point
    assert (temperature.set_point.value, temperature.low, temperature.high) == (37.0, 36.0, 38.0)
    assert temperature.classification == "CPP"
    release = next(s for s in definition.specifications if s.spec_id == "SPEC-CART19-REL")
    assert release.product == "CART-19" and len(release.limits) == 8
    assert {"TM-VCN-DDPCR", "TM-STER-BACT"} <= {m.method_id for m in definition.analytical_methods}


def test_release_panel_uses_the_bundled_lims_test_codes_and_limits(definition: ProcessDefinition) -> None:
    release = next(s for s in definition.specifications if s.spec_id == reference.SPECIFICATION["id"])
    lims = {t["code"]: t for t in reference.RELEASE_TESTS}
    assert {limit.analyte for limit in release.limits} == set(lims)
    for limit in release.limits:
        test = lims[limit.analyte]
        assert (limit.low, limit.high, limit.unit) == (test.get("lo"), test.get("hi"), test["unit"])
        assert limit.text_criterion == test.get("text_spec")


def test_composing_an_unknown_process_names_the_known_ones() -> None:
    with pytest.raises(ProblemsError, match=re.escape("no process 'car-t-allo' (known: car-t-autologous)")):
        compose_process("car-t-allo")


def test_invalid_yaml_is_reported_with_file_line_and_column(library: Path) -> None:
    _edit(library / "unit_operations/harvest.yaml", "  name: Harvest\n", "  name: [Harvest\n")
    [problem] = [p for p in validate_library(library) if p.file == "unit_operations/harvest.yaml"]
    assert problem.kind == "unreadable" and "line" in problem.reason and "column" in problem.reason


def test_a_schema_error_names_the_file_and_field_path(library: Path) -> None:
    _edit(library / "unit_operations/expansion.yaml", "set_point: 37.0, low: 36.0, high: 38.0",
          "set_point: 37.0, low: 38.5, high: 38.0")
    problems = validate_library(library)
    assert [str(p) for p in problems] == [
        "unit_operations/expansion.yaml: unit_procedure.operations[0].phases[0].parameters[0]: "
        "low: must not be greater than high",
        "processes/car-t-autologous.yaml: unit_operations[4]: "
        "unit_operation 'expansion' is unusable: unit_operations/expansion.yaml has problems"]


def test_a_typo_in_a_field_name_is_refused(library: Path) -> None:
    _edit(library / "unit_operations/harvest.yaml", "classification: KPP}", "clasification: KPP}")
    paths = {p.path for p in validate_library(library)}
    assert "unit_procedure.operations[0].phases[0].parameters[0].clasification" in paths


def test_an_unknown_reference_names_the_process_field(library: Path) -> None:
    _edit(library / "processes/car-t-autologous.yaml", "  - transduction\n", "  - transduktion\n")
    [problem] = validate_library(library)
    assert (problem.kind, problem.file, problem.path) == ("reference", "processes/car-t-autologous.yaml",
                                                         "unit_operations[3]")
    assert "no unit_operation 'transduktion'" in problem.reason


def test_an_unknown_unit_is_named_in_its_own_file(library: Path) -> None:
    _edit(library / "unit_operations/cryopreservation.yaml", "unit: Cel/min", "unit: degC/min")
    problems = validate_library(library)
    assert [(p.kind, p.file, p.path) for p in problems] == [
        ("unknown_unit", "unit_operations/cryopreservation.yaml",
         "unit_procedure.operations[0].phases[0].parameters[0].unit"),
        ("reference", "processes/car-t-autologous.yaml", "unit_operations[7]")]
    assert problems[0].reason == "unknown unit 'degC/min': 'degC' is not a unit gxplink converts"


def test_an_equipment_class_missing_from_the_process_is_traced_to_its_step(library: Path) -> None:
    _edit(library / "processes/car-t-autologous.yaml", "  - counterflow_centrifuge\n", "")
    assert [str(p) for p in validate_library(library)] == [
        "unit_operations/harvest.yaml: unit_procedure.unit_class: equipment class 'counterflow_centrifuge' is not "
        "in equipment_classes (as composed into processes/car-t-autologous.yaml)",
        "unit_operations/harvest.yaml: unit_procedure.operations[0].phases[0].equipment_class: equipment class "
        "'counterflow_centrifuge' is not in equipment_classes (as composed into processes/car-t-autologous.yaml)"]


def test_dangling_test_codes_and_steps_are_reported(library: Path) -> None:
    _edit(library / "processes/car-t-autologous.yaml", "step: Expand,", "step: Expnad,")
    _edit(library / "processes/car-t-autologous.yaml", "tests: [MYCO]", "tests: [MYCOPLASMA]")
    assert {(p.path, p.reason) for p in validate_library(library)} == {
        ("sampling_plan[1].step", "no operation or phase is named 'Expnad'"),
        ("sampling_plan[2].tests", "no analytical method reports 'MYCOPLASMA'")}


def test_file_name_and_kind_are_checked(library: Path) -> None:
    shutil.copy(library / "unit_operations/harvest.yaml", library / "unit_operations/harvest-copy.yaml")
    (library / "qc/notes.yaml").write_text("kind: notes\n")
    assert {(p.file, p.path, p.reason) for p in validate_library(library)} == {
        ("unit_operations/harvest-copy.yaml", "id", "'harvest' must equal the file name 'harvest-copy'"),
        ("qc/notes.yaml", "kind", "'notes' is not one of unit_operation, qc_panel, process, site_map")}


def test_an_installed_wheel_carries_every_library_file() -> None:
    """The package-data globs in pyproject.toml must match every file importlib.resources reads."""
    root = Path(str(library_root()))
    project = tomllib.loads((root.parents[2] / "pyproject.toml").read_text())
    globs = project["tool"]["setuptools"]["package-data"]["orchestrator.transfer"]
    shipped = {p for pattern in globs for p in root.parent.glob(pattern)}
    assert {p for p in root.rglob("*") if p.is_file()} <= shipped
