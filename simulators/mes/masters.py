"""Master batch records made from an ISA-88 recipe (POST /master-batch-records), versioned by the MES.

The MES owns its record versions: a body whose content the MES already holds (any version) is that
version again, so a repeated request changes nothing; other content under a known id becomes the next
version and supersedes the current one. The source recipe's version guards the order of arrival: an
older recipe version than one already held, or the same recipe version with other content, is a 409.
Steps are named PH-<unit procedure nn><phase nn> and run on the unit the binding gives their class;
batches already created keep the steps they were created with.
"""

from __future__ import annotations

from typing import Any

from simulators.mes.errors import Conflict, NotFound, Unprocessable
from simulators.mes.master_models import MasterBatchRecordCreate, UnitProcedureIn
from simulators.mes.store import MesStore

CONTENT = ("product", "product_name", "recipe_version", "description", "batch_id_prefix", "planned_quantity",
           "bill_of_materials", "steps")
CRITICAL = frozenset({"CPP", "CQA"})
MAX_STEPS = 200


def history(store: MesStore) -> dict[str, list[dict[str, Any]]]:
    """Superseded versions per record id (a state written before versions were kept has none)."""
    found: dict[str, list[dict[str, Any]]] = store.data.setdefault("master_batch_record_history", {})
    return found


def versions(store: MesStore, mbr_id: str) -> list[dict[str, Any]]:
    """Every version of a record, oldest first; the current one is last."""
    current = store.data["master_batch_records"].get(mbr_id)
    return [*history(store).get(mbr_id, []), *([current] if current else [])]


def version_of(store: MesStore, mbr_id: str, version: int) -> dict[str, Any]:
    found = next((v for v in versions(store, mbr_id) if v["version"] == version), None)
    if found is None:
        raise NotFound("master-batch-record-not-found", f"no version {version} of master batch record {mbr_id!r}")
    return found


def create_version(store: MesStore, body: MasterBatchRecordCreate) -> tuple[dict[str, Any], bool]:
    """The record version holding this content, and whether it was created now."""
    actor = store.actor(body.user)
    known = versions(store, body.id)
    current = known[-1] if known else None
    if current is not None and current["product"] != body.product:
        raise Conflict("product-mismatch", f"{body.id} makes {current['product']}, not {body.product}",
                       product=current["product"])
    content = _content(store, body, current or {})
    for existing in known:
        if all(existing.get(key) == content[key] for key in CONTENT):
            return existing, False
    _check_recipe_version(body, known)
    number = current["version"] + 1 if current else 1
    record = {"id": body.id, "version": number, "status": "approved", **content, "created_at": store.now(),
              "created_by": actor}
    with store.deferred_save():
        if current is not None:
            current["status"] = "superseded"
            history(store).setdefault(body.id, []).append(current)
            store.audit.record(actor, "supersede", "master_batch_record", body.id,
                               changes={"status": ("approved", "superseded")}, reason=body.reason)
        store.data["master_batch_records"][body.id] = record
        store.change(actor, "create", "master_batch_record", body.id,
                     changes={"version": (current["version"] if current else None, number),
                              "steps": (None, len(content["steps"]))}, reason=body.reason)
    return record, True


def _check_recipe_version(body: MasterBatchRecordCreate, known: list[dict[str, Any]]) -> None:
    if body.recipe_version is None:
        return
    held = [v for v in known if v.get("recipe_version") is not None]
    same = next((v for v in held if v["recipe_version"] == body.recipe_version), None)
    if same is not None:
        raise Conflict("recipe-version-conflict", f"{body.id} version {same['version']} holds recipe version "
                       f"{body.recipe_version} with other content; a changed recipe needs a new recipe version",
                       version=same["version"])
    newest = max((v["recipe_version"] for v in held), default=None)
    if newest is not None and body.recipe_version < newest:
        raise Conflict("recipe-version-superseded", f"{body.id} already holds recipe version {newest}; "
                       f"version {body.recipe_version} is older", recipe_version=newest)


def _content(store: MesStore, body: MasterBatchRecordCreate, current: dict[str, Any]) -> dict[str, Any]:
    binding = _binding(store, body.equipment_binding)
    quantity = body.planned_quantity.model_dump() if body.planned_quantity else current.get("planned_quantity")
    return {
        "product": body.product, "product_name": body.product_name or current.get("product_name") or body.product,
        "recipe_version": body.recipe_version, "description": body.description,
        "batch_id_prefix": body.batch_id_prefix or current.get("batch_id_prefix") or body.product,
        "planned_quantity": quantity, "bill_of_materials": [m.model_dump() for m in body.bill_of_materials],
        "steps": _steps(body.unit_procedures, binding),
    }


def _binding(store: MesStore, binding: dict[str, str]) -> dict[str, str]:
    """Each unit must be equipment of this plant, of the class it is bound for."""
    units = {e["id"]: e for e in store.data["equipment"]}
    for equipment_class, unit_id in binding.items():
        unit = units.get(unit_id)
        if unit is None:
            raise Unprocessable("unknown-equipment", f"{unit_id!r} is not equipment of this plant; known: "
                                f"{', '.join(sorted(units))}", equipment_id=unit_id)
        if unit["class"] != equipment_class:
            raise Unprocessable("equipment-class-mismatch", f"{unit_id} is a {unit['class']}, not a "
                                f"{equipment_class}", equipment_id=unit_id, equipment_class=unit["class"])
    return binding


def _unit(binding: dict[str, str], equipment_class: str, what: str) -> str:
    if equipment_class not in binding:
        raise Unprocessable("equipment-class-not-bound", f"{what} needs a {equipment_class}, and "
                            "equipment_binding names no unit for that class", equipment_class=equipment_class)
    return binding[equipment_class]


def _steps(procedures: list[UnitProcedureIn], binding: dict[str, str]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for u, up in enumerate(procedures, 1):
        _unit(binding, up.equipment_class, f"unit procedure {up.name!r}")
        phases = [(op.name, phase) for op in up.operations for phase in op.phases]
        for p, (operation, phase) in enumerate(phases, 1):
            parameters = [param.model_dump(by_alias=True) for param in phase.parameters]
            steps.append({
                "step_id": f"PH-{u:02d}{p:02d}", "name": phase.name, "unit_procedure_id": f"UP-{u:02d}",
                "unit_procedure": up.name, "operation": operation,
                "equipment_id": _unit(binding, phase.equipment_class or up.equipment_class,
                                      f"phase {phase.name!r} of {up.name!r}"),
                "critical": any(param["class"] in CRITICAL for param in parameters),
                "parameters": parameters, "materials": [], "samples": [],
            })
    if len(steps) > MAX_STEPS:
        raise Unprocessable("too-many-steps", f"{len(steps)} steps; a master batch record holds at most {MAX_STEPS}")
    return steps
