"""Batch creation from a master batch record and the batch state machine.

States: created -> released -> in_execution <-> on_hold -> completed, with aborted (from execution or
hold) and cancelled (before execution). Anything else is refused with 409, as an MES refuses a
transition its batch lifecycle does not allow.
"""

from __future__ import annotations

import copy
from typing import Any

from simulators import reference
from simulators.mes.errors import Conflict, Unprocessable
from simulators.mes.seed import STARTING_MATERIAL, starting_material_lot
from simulators.mes.store import MesStore

# action -> (states it may start from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "release": (frozenset({"created"}), "released"),
    "start": (frozenset({"released"}), "in_execution"),
    "hold": (frozenset({"in_execution"}), "on_hold"),
    "resume": (frozenset({"on_hold"}), "in_execution"),
    "complete": (frozenset({"in_execution"}), "completed"),
    "abort": (frozenset({"in_execution", "on_hold"}), "aborted"),
    "cancel": (frozenset({"created", "released"}), "cancelled"),
}
REASON_REQUIRED = frozenset({"hold", "resume", "abort", "cancel"})
STAMP = {"released": "released_at", "in_execution": "started_at", "completed": "ended_at", "aborted": "ended_at",
         "cancelled": "ended_at"}


def _new_batch_id(store: MesStore, prefix: str) -> str:
    year = store.clock.now().year
    while True:
        candidate = f"{prefix}-{year}-{store.state.next_seq('batch'):04d}"
        if candidate not in store.data["batches"]:
            return candidate


def _step(planned: dict[str, Any]) -> dict[str, Any]:
    step = {k: copy.deepcopy(v) for k, v in planned.items() if k not in ("materials", "samples", "parameters")}
    step["planned_materials"] = copy.deepcopy(planned["materials"])
    step["planned_samples"] = copy.deepcopy(planned["samples"])
    step["parameters"] = [{**p, "value": None, "in_range": None, "recorded_at": None, "recorded_by": None}
                          for p in planned["parameters"]]
    step.update(state="pending", started_at=None, started_by=None, completed_at=None, completed_by=None,
                signoffs=[])
    return step


def create_batch(store: MesStore, batch_id: str | None, mbr_id: str, user: str | None,
                 planned_quantity: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = store.actor(user)
    mbr = store.master_batch_record(mbr_id, missing=Unprocessable)
    if mbr["status"] != "approved":
        raise Conflict("master-batch-record-not-approved", f"{mbr_id} is {mbr['status']}, not approved")
    planned = planned_quantity or (dict(mbr["planned_quantity"]) if mbr.get("planned_quantity") else None)
    if planned is None:
        raise Unprocessable("planned-quantity-required", f"{mbr_id} version {mbr['version']} names no planned "
                            "quantity; give planned_quantity")
    batch_id = batch_id or _new_batch_id(store, mbr["batch_id_prefix"])
    if batch_id in store.data["batches"]:
        raise Conflict("batch-exists", f"batch {batch_id!r} already exists")
    now = store.now()
    batch = {
        "batch_id": batch_id, "master_batch_record_id": mbr["id"], "master_batch_record_version": mbr["version"],
        "product": mbr["product"], "lot": reference.lot_for_batch(batch_id), "state": "created",
        "planned_quantity": planned,
        "created_at": now, "created_by": actor, "released_at": None, "started_at": None, "ended_at": None,
        "hold_reason": None, "starting_material_lot": starting_material_lot(batch_id),
        "steps": [_step(s) for s in mbr["steps"]], "consumptions": [], "samples": [], "qc_summaries": [],
        "external_references": [], "state_history": [],
    }
    store.data["batches"][batch_id] = batch
    _register_starting_material(store, batch_id, actor, mbr)
    store.change(actor, "create", "batch", batch_id, changes={"state": (None, "created"), "lot": (None, batch["lot"])},
                 event="batch_created", batch_id=batch_id,
                 data={"master_batch_record_id": mbr["id"], "product": batch["product"], "lot": batch["lot"],
                       "state": "created"})
    return batch


def _register_starting_material(store: MesStore, batch_id: str, actor: str, mbr: dict[str, Any]) -> None:
    lot_id = starting_material_lot(batch_id)
    if lot_id in store.data["lots"]:
        return
    need = next((line for line in mbr["bill_of_materials"] if line["material"] == STARTING_MATERIAL), None)
    if need is None:
        return
    store.data["lots"][lot_id] = {"id": lot_id, "material": STARTING_MATERIAL, "status": "released",
                                  "quantity": need["quantity"], "remaining": need["quantity"], "unit": need["unit"],
                                  "expiry": None, "batch_id": batch_id}
    store.audit.record(actor, "create", "lot", lot_id, changes={"status": (None, "released")},
                       reason=f"starting material received for batch {batch_id}")


def _open_items(batch: dict[str, Any]) -> list[str]:
    """What keeps the electronic batch record from being complete."""
    missing = []
    for step in batch["steps"]:
        meanings = {s["meaning"] for s in step["signoffs"]}
        if step["state"] != "completed":
            missing.append(f"{step['step_id']}: not completed")
        elif "performed" not in meanings:
            missing.append(f"{step['step_id']}: no 'performed' signature")
        elif step["critical"] and "verified" not in meanings:
            missing.append(f"{step['step_id']}: critical step without second-person 'verified' signature")
    return missing


def transition(store: MesStore, batch_id: str, action: str, user: str | None, reason: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    if action not in TRANSITIONS:
        raise Unprocessable("unknown-transition", f"unknown action {action!r}; use one of {sorted(TRANSITIONS)}")
    actor = store.actor(user)
    sources, target = TRANSITIONS[action]
    current = batch["state"]
    if current not in sources:
        raise Conflict("invalid-transition", f"cannot {action} batch {batch_id} in state {current!r}; "
                       f"{action} is allowed from {sorted(sources)}", state=current, action=action)
    if action in REASON_REQUIRED and not reason:
        raise Unprocessable("reason-required", f"{action} needs a reason")
    if action == "complete" and (missing := _open_items(batch)):
        raise Conflict("batch-record-incomplete", "the batch record has open items: " + "; ".join(missing),
                       open_items=missing)
    now = store.now()
    batch["state"] = target
    batch["hold_reason"] = reason if target == "on_hold" else None
    if target in STAMP and not batch[STAMP[target]]:
        batch[STAMP[target]] = now
    batch["state_history"].append({"from": current, "to": target, "action": action, "at": now, "user": actor,
                                   "reason": reason})
    store.change(actor, action, "batch", batch_id, changes={"state": (current, target)}, reason=reason,
                 event="batch_state_changed", batch_id=batch_id,
                 data={"previous_state": current, "state": target, "action": action, "reason": reason})
    return batch
