"""Business rules of the entities: each violation is rejected with the field and the rule named."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from canonical_model.equipment import Equipment
from canonical_model.inventory import InventoryTransaction
from canonical_model.material import MaterialLot
from canonical_model.quality import Deviation, Investigation
from canonical_model.recipe import ProcessParameter
from canonical_model.specification import Specification, SpecLimit
from canonical_model.test_result import TestResult

pytestmark = pytest.mark.unit


def _result(t0: datetime, **overrides: Any) -> TestResult:
    fields: dict[str, Any] = {
        "result_id": "R-2026-118203", "order_id": "LO-2026-004711", "sample_id": "S-CART-2026-0001-07",
        "analyte": "VCN", "value": 2.3, "unit": "{copies}/{cell}", "status": "final",
        "out_of_specification": False, "observed_at": t0, "performed_by": "jwolf",
    }
    return TestResult.model_validate({**fields, **overrides})


def _rejects(build: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert message in str(info.value)


def test_test_result_rules(t0: datetime) -> None:
    assert _result(t0).value == 2.3
    _rejects(lambda: _result(t0, unit=None), "unit: required when value is numeric")
    _rejects(lambda: _result(t0, value=None), "value or text_value: required unless the result is cancelled")
    assert _result(t0, value=None, unit=None, status="cancelled").status == "cancelled"
    _rejects(lambda: _result(t0, spec_low=5, spec_high=1), "spec_low: must not be greater than spec_high")
    _rejects(lambda: _result(t0, status="corrected"), "corrects_result_id and correction_reason: required")
    _rejects(lambda: _result(t0, corrects_result_id="R-1"), "corrects_result_id: only allowed when status")
    corrected = _result(t0, status="corrected", corrects_result_id="R-1", correction_reason="Dilution factor")
    assert corrected.corrects_result_id == "R-1"


def test_text_result_needs_no_unit(t0: datetime) -> None:
    sterility = _result(t0, analyte="STERILITY", value=None, unit=None, text_value="No growth")
    assert sterility.text_value == "No growth"


def test_lot_quantity_must_not_be_negative() -> None:
    lot = {"lot_id": "LOT-1", "material_id": "MAT-1", "status": "quarantine"}
    assert MaterialLot.model_validate({**lot, "quantity": {"value": 0, "unit": "mL"}}).quantity.value == 0
    _rejects(
        lambda: MaterialLot.model_validate({**lot, "quantity": {"value": -1, "unit": "mL"}}),
        "quantity\n  Value error, lot quantity must be >= 0",
    )


def test_inventory_direction_rules(t0: datetime) -> None:
    base: dict[str, Any] = {
        "transaction_id": "4900012345", "lot_id": "LOT-1", "material_id": "MAT-1", "location": "CR-B", "posted_at": t0
    }
    two_ml = {"value": 2, "unit": "mL"}
    adj = InventoryTransaction.model_validate({**base, "kind": "adjustment", "quantity": {"value": -2, "unit": "mL"}})
    assert adj.quantity.value == -2
    _rejects(
        lambda: InventoryTransaction.model_validate({**base, "kind": "issue", "quantity": {"value": -2, "unit": "mL"}}),
        "quantity: must be > 0 for a issue",
    )
    _rejects(
        lambda: InventoryTransaction.model_validate({**base, "kind": "transfer", "quantity": two_ml}),
        "to_location: required for a transfer",
    )


def test_process_parameter_range_rules() -> None:
    ok = ProcessParameter(name="temperature", unit="Cel", set_point={"value": 37, "unit": "Cel"},
                          low=36.5, high=37.5, classification="CPP")
    assert ok.set_point is not None
    common: dict[str, Any] = {"name": "temperature", "unit": "Cel", "classification": "CPP"}
    _rejects(lambda: ProcessParameter(**common, low=38, high=37), "low: must not be greater than high")
    _rejects(lambda: ProcessParameter(**common, set_point={"value": 99, "unit": "[degF]"}), "set_point.unit")
    _rejects(lambda: ProcessParameter(**common, set_point={"value": 39, "unit": "Cel"}, high=37.5),
             "set_point: must lie within [low, high]")


def test_specification_rules() -> None:
    _rejects(lambda: SpecLimit(analyte="VIABILITY"), "a limit needs low, high or text_criterion")
    _rejects(lambda: SpecLimit(analyte="VIABILITY", low=70), "unit: required when low or high is given")
    limit = SpecLimit(analyte="VIABILITY", low=70, unit="%")
    _rejects(lambda: Specification(spec_id="S", version=1, limits=(limit,)), "product or material_id")
    _rejects(
        lambda: Specification(spec_id="S", product="P", version=1, limits=(limit, limit)), "analytes must be unique"
    )


def test_equipment_only_a_site_has_no_parent() -> None:
    assert Equipment(equipment_id="SITE-1", name="Site", equipment_class="site", level="site").parent_id is None
    _rejects(lambda: Equipment(equipment_id="BR-101", name="Bioreactor", equipment_class="bioreactor_rocking",
                               level="unit"), "parent_id: required for level 'unit'")


def test_quality_record_dates_and_completion(t0: datetime) -> None:
    dev: dict[str, Any] = {"deviation_id": "DEV-1", "title": "t", "description": "d", "classification": "major",
                           "status": "open", "owner": "mhuber", "opened_by": "mhuber", "opened_at": t0}
    _rejects(lambda: Deviation(**dev, closed_at=t0 - timedelta(days=1)), "closed_at: must not be before opened_at")
    _rejects(lambda: Deviation(**dev, time_window={"start": t0, "end": t0 - timedelta(minutes=1)}),
             "end: must not be before start")
    inv: dict[str, Any] = {"investigation_id": "INV-1", "deviation_id": "DEV-1", "owner": "skoch", "opened_at": t0}
    _rejects(lambda: Investigation(**inv, status="completed"), "root_cause: required when status is 'completed'")


def _all_models() -> list[type[BaseModel]]:
    import canonical_model.registry as registry  # noqa: F401  (imports every message module)

    seen: list[type[BaseModel]] = []
    stack: list[type[BaseModel]] = [BaseModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("canonical_model.") and "[" not in sub.__name__ and sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen


def test_every_field_has_a_description() -> None:
    missing = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _all_models()
        for name, field in cls.model_fields.items()
        if not field.description
    ]
    assert missing == []
