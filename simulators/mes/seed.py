"""The MES's initial master data, taken from the reference plant so ids agree with ERP, LIMS and DeltaV.

The master batch record adds what an MES holds beyond the ISA-88 recipe: which materials each phase
dispenses (from the BOM), which samples it pulls for the QC release panel, and which steps are
critical (a CPP/CQA parameter makes a step need a second-person verification).
"""

from __future__ import annotations

import copy
from typing import Any

from simulators import reference

HISTORICAL_BATCH = "CART-2025-0001"
HISTORICAL_START = "2025-11-03T07:30:00+00:00"

PHASE_MATERIALS = {
    "PH-0101": ["MAT-APH"], "PH-0201": ["MAT-BEAD"], "PH-0301": ["MAT-TXA"], "PH-0401": ["MAT-LVV"],
    "PH-0501": ["MAT-MED"], "PH-0701": ["MAT-CS10", "MAT-BAG"],
}
# Mycoplasma is tested on the harvest, the rest of the release panel on the filled product.
PHASE_SAMPLES = {
    "PH-0601": [{"type": "in_process", "test_codes": ["MYCO"]}],
    "PH-0701": [{"type": "release", "test_codes": [t["code"] for t in reference.RELEASE_TESTS if t["code"] != "MYCO"]}],
}
STARTING_MATERIAL = "MAT-APH"


def starting_material_lot(batch_id: str) -> str:
    """Autologous starting material is patient-specific: the MES registers one apheresis lot per batch."""
    return f"APH-{batch_id}"


def _steps(recipe: dict[str, Any]) -> list[dict[str, Any]]:
    bom = {line["material"]: line for line in reference.BOM}
    steps = []
    for up in recipe["unit_procedures"]:
        for phase in up["phases"]:
            steps.append({
                "step_id": phase["id"], "name": phase["name"], "unit_procedure_id": up["id"],
                "unit_procedure": up["name"], "equipment_id": up["unit"],
                "critical": any(p["class"] in ("CPP", "CQA") for p in phase["parameters"]),
                "parameters": copy.deepcopy(phase["parameters"]),
                "materials": [dict(bom[m]) for m in PHASE_MATERIALS.get(phase["id"], [])],
                "samples": copy.deepcopy(PHASE_SAMPLES.get(phase["id"], [])),
            })
    return steps


def master_batch_record(recipe: dict[str, Any]) -> dict[str, Any]:
    fill = next(p for s in _steps(recipe) for p in s["parameters"] if p["name"] == "Fill volume")
    bags = next(line["quantity"] for line in reference.BOM if line["material"] == "MAT-BAG")
    return {
        "id": recipe["id"], "version": recipe["version"], "status": recipe["status"], "product": recipe["product"],
        "product_name": reference.PRODUCT["name"], "batch_id_prefix": "CART",
        "planned_quantity": {"value": fill["sp"] * bags, "unit": fill["unit"]},
        "bill_of_materials": copy.deepcopy(reference.BOM), "steps": _steps(recipe),
    }


def seed_document() -> dict[str, Any]:
    return {
        "site": dict(reference.SITE),
        "users": copy.deepcopy(reference.USERS),
        "equipment": copy.deepcopy(reference.EQUIPMENT),
        "materials": {m["id"]: dict(m) for m in reference.MATERIALS},
        "lots": {lot["id"]: {**lot, "remaining": lot["quantity"]} for lot in reference.LOTS},
        "master_batch_records": {reference.MASTER_RECIPE["id"]: master_batch_record(reference.MASTER_RECIPE)},
        "master_batch_record_history": {},
        "batches": {},
    }
