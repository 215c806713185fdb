"""What happens to a batch besides its steps: material consumption, sample pulls, QC result summaries,
external references, and the status of lots in the MES's material view.

The MES dispenses only released, unexpired lots of a material the master batch record calls for, in
the lot's own unit of measure (UCUM), and never more than the lot still holds.
"""

from __future__ import annotations

from typing import Any

from simulators import reference
from simulators.mes.errors import Conflict, Unprocessable
from simulators.mes.steps import find_step, require_execution
from simulators.mes.store import MesStore

TEST_CODES = {t["code"] for t in reference.RELEASE_TESTS}
QC_STATES = frozenset({"in_execution", "on_hold", "completed"})


def _step_in_progress(batch: dict[str, Any], step_id: str | None) -> None:
    if step_id is not None and find_step(batch, step_id, missing=Unprocessable)["state"] != "in_progress":
        raise Conflict("invalid-step-state", f"step {step_id} is not in progress")


def consume(store: MesStore, batch_id: str, lot_id: str, material: str, quantity: float, unit: str,
            step_id: str | None, user: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    actor = store.actor(user)
    lot = store.lot(lot_id, missing=Unprocessable)
    require_execution(batch, "consume material")
    _step_in_progress(batch, step_id)
    mbr = store.master_batch_record(batch["master_batch_record_id"])
    if lot["material"] != material:
        raise Unprocessable("material-mismatch", f"lot {lot_id} is {lot['material']}, not {material}")
    if material not in {line["material"] for line in mbr["bill_of_materials"]}:
        raise Unprocessable("material-not-in-bom", f"{material} is not in the bill of materials of {mbr['id']}")
    if unit != lot["unit"]:
        raise Unprocessable("unit-mismatch", f"lot {lot_id} is managed in {lot['unit']!r}, not {unit!r}")
    if lot["status"] != "released":
        raise Conflict("lot-not-released", f"lot {lot_id} is {lot['status']!r}; only released lots can be consumed",
                       lot_status=lot["status"])
    if lot.get("expiry") and lot["expiry"] < store.clock.now().date().isoformat():
        raise Conflict("lot-expired", f"lot {lot_id} expired on {lot['expiry']}")
    if quantity > lot["remaining"]:
        raise Conflict("insufficient-quantity", f"lot {lot_id} holds {lot['remaining']} {unit}, not {quantity}")
    before = lot["remaining"]
    lot["remaining"] = round(before - quantity, 6)
    consumption_id = store.next_id("consumption", "CON")
    record = {"consumption_id": consumption_id, "lot": lot_id, "material": material,
              "quantity": quantity, "unit": unit, "step_id": step_id, "consumed_by": actor,
              "consumed_at": store.now()}
    batch["consumptions"].append(record)
    store.audit.record(actor, "consume", "lot", lot_id, changes={"remaining": (before, lot["remaining"])},
                       reason=f"dispensed to batch {batch_id}")
    store.change(actor, "create", "consumption", consumption_id,
                 changes={"quantity": (None, quantity)}, event="material_consumed", batch_id=batch_id, data=record)
    return record


def pull_sample(store: MesStore, batch_id: str, sample_id: str | None, sample_type: str, test_codes: list[str],
                step_id: str | None, user: str, pulled_at: str | None,
                quantity: dict[str, Any] | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    store.person(user)
    require_execution(batch, "pull a sample")
    _step_in_progress(batch, step_id)
    if unknown := sorted(set(test_codes) - TEST_CODES):
        raise Unprocessable("unknown-test-code", f"unknown test codes {unknown}; known: {sorted(TEST_CODES)}")
    sample_id = sample_id or f"SMP-{batch_id}-{len(batch['samples']) + 1:02d}"
    if any(s["sample_id"] == sample_id for b in store.data["batches"].values() for s in b["samples"]):
        raise Conflict("sample-exists", f"sample {sample_id!r} already exists")
    sample = {"sample_id": sample_id, "type": sample_type, "test_codes": list(dict.fromkeys(test_codes)),
              "step_id": step_id, "pulled_by": user, "pulled_at": pulled_at or store.now(), "quantity": quantity,
              "lot": batch["lot"]}
    batch["samples"].append(sample)
    store.change(user, "create", "sample", sample_id, changes={"type": (None, sample_type)}, event="sample_pulled",
                 batch_id=batch_id, data=sample)
    return sample


def record_qc_summary(store: MesStore, batch_id: str, results: list[dict[str, Any]], lims_reference: str | None,
                      user: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    actor = store.actor(user)
    if batch["state"] not in QC_STATES:
        raise Conflict("batch-state", f"QC results need a batch in execution, on hold or completed; "
                       f"{batch_id} is {batch['state']!r}", state=batch["state"])
    samples = {s["sample_id"] for s in batch["samples"]}
    for result in results:
        if result["test_code"] not in TEST_CODES:
            raise Unprocessable("unknown-test-code", f"unknown test code {result['test_code']!r}")
        if result.get("sample_id") and result["sample_id"] not in samples:
            raise Unprocessable("sample-not-in-batch", f"sample {result['sample_id']!r} is not from batch {batch_id}")
    summary_id = store.next_id("qc_summary", "QCS")
    summary = {"summary_id": summary_id, "lims_reference": lims_reference,
               "results": results, "all_conform": all(r["conforms"] for r in results), "recorded_by": actor,
               "recorded_at": store.now()}
    batch["qc_summaries"].append(summary)
    store.change(actor, "create", "qc_summary", summary_id, changes={"all_conform": (None,
                 summary["all_conform"])}, event="qc_summary_recorded", batch_id=batch_id, data=summary)
    return summary


def attach_reference(store: MesStore, batch_id: str, system: str, ref_type: str, reference_id: str,
                     description: str | None, user: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    actor = store.actor(user)
    key = (system, ref_type, reference_id)
    if any((r["system"], r["type"], r["reference"]) == key for r in batch["external_references"]):
        raise Conflict("reference-exists", f"{system} {ref_type} {reference_id} is already attached to {batch_id}")
    ref_id = store.next_id("reference", "XREF")
    ref = {"reference_id": ref_id, "system": system, "type": ref_type,
           "reference": reference_id, "description": description, "attached_by": actor, "attached_at": store.now()}
    batch["external_references"].append(ref)
    store.change(actor, "attach", "external_reference", ref_id,
                 changes={"reference": (None, f"{system}:{ref_type}:{reference_id}")},
                 event="external_reference_attached", batch_id=batch_id, data=ref)
    return ref


def set_lot_status(store: MesStore, lot_id: str, status: str, reason: str, user: str | None) -> dict[str, Any]:
    lot = store.lot(lot_id)
    actor = store.actor(user)
    old = lot["status"]
    if old == status:
        return lot
    lot["status"] = status
    store.change(actor, "status_change", "lot", lot_id, changes={"status": (old, status)}, reason=reason,
                 event="lot_status_changed", data={"lot": lot_id, "material": lot["material"], "previous_status": old,
                                                   "status": status})
    return lot
