"""Electronic batch record steps: start, record parameter values, complete, sign.

Steps run in master-batch-record order and only while the batch is in execution. A correction of a
recorded value needs a reason (it is an audit-trailed change, not an overwrite). Critical steps (a
CPP or CQA parameter) need a second person to verify them before the batch can complete.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from simulators.mes.errors import Conflict, Forbidden, NotFound, Unprocessable
from simulators.mes.store import MesStore

SIGNER_ROLES = {"performed": {"operator", "supervisor"}, "verified": {"operator", "supervisor", "qa"},
                "reviewed": {"qa"}}


def find_step(batch: dict[str, Any], step_id: str, *, missing: type[NotFound | Unprocessable] = NotFound
              ) -> dict[str, Any]:
    found: dict[str, Any]
    for found in batch["steps"]:
        if found["step_id"] == step_id:
            return found
    raise missing("step-not-found", f"batch {batch['batch_id']} has no step {step_id!r}")


def require_execution(batch: dict[str, Any], what: str) -> None:
    if batch["state"] != "in_execution":
        raise Conflict("batch-not-in-execution",
                       f"cannot {what}: batch {batch['batch_id']} is {batch['state']!r}, not 'in_execution'",
                       state=batch["state"])


def _require_step_state(step: dict[str, Any], state: str, what: str) -> None:
    if step["state"] != state:
        raise Conflict("invalid-step-state", f"cannot {what}: step {step['step_id']} is {step['state']!r}",
                       step_state=step["state"])


def start_step(store: MesStore, batch_id: str, step_id: str, user: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    step = find_step(batch, step_id)
    actor = store.actor(user)
    require_execution(batch, "start a step")
    _require_step_state(step, "pending", "start it")
    index = batch["steps"].index(step)
    if index and batch["steps"][index - 1]["state"] != "completed":
        raise Conflict("previous-step-open", f"step {batch['steps'][index - 1]['step_id']} is not completed yet")
    step.update(state="in_progress", started_at=store.now(), started_by=actor)
    store.change(actor, "start", "step", f"{batch_id}/{step_id}", changes={"state": ("pending", "in_progress")},
                 event="step_started", batch_id=batch_id,
                 data={"step_id": step_id, "equipment_id": step["equipment_id"]})
    return step


def record_parameter(store: MesStore, batch_id: str, step_id: str, name: str, value: float, unit: str,
                     user: str | None, reason: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    step = find_step(batch, step_id)
    actor = store.actor(user)
    require_execution(batch, "record a parameter")
    _require_step_state(step, "in_progress", "record a parameter")
    param = next((p for p in step["parameters"] if p["name"] == name), None)
    if param is None:
        raise Unprocessable("unknown-parameter", f"step {step_id} has no parameter {name!r}; it has "
                            f"{[p['name'] for p in step['parameters']]}")
    if unit != param["unit"]:
        raise Unprocessable("unit-mismatch", f"{name} is recorded in {param['unit']!r}, not {unit!r}")
    if param["value"] is not None and not reason:
        raise Conflict("already-recorded", f"{name} is already recorded ({param['value']}); a correction "
                       "needs a reason")
    old = param["value"]
    lo, hi = param.get("lo"), param.get("hi")  # an open-ended range has one limit (or none)
    param.update(value=value, in_range=(lo is None or lo <= value) and (hi is None or value <= hi),
                 recorded_at=store.now(), recorded_by=actor)
    store.change(actor, "correct" if old is not None else "record", "parameter", f"{batch_id}/{step_id}/{name}",
                 changes={"value": (old, value)}, reason=reason, event="parameter_recorded", batch_id=batch_id,
                 data={"step_id": step_id, "name": name, "value": value, "unit": unit, "in_range": param["in_range"],
                       "class": param["class"], "previous_value": old})
    return step


def complete_step(store: MesStore, batch_id: str, step_id: str, user: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    step = find_step(batch, step_id)
    actor = store.actor(user)
    require_execution(batch, "complete a step")
    _require_step_state(step, "in_progress", "complete it")
    if missing := [p["name"] for p in step["parameters"] if p["value"] is None]:
        raise Conflict("parameters-missing", f"step {step_id} still needs {missing}", missing=missing)
    step.update(state="completed", completed_at=store.now(), completed_by=actor)
    store.change(actor, "complete", "step", f"{batch_id}/{step_id}", changes={"state": ("in_progress", "completed")},
                 event="step_completed", batch_id=batch_id,
                 data={"step_id": step_id, "name": step["name"], "equipment_id": step["equipment_id"],
                       "excursions": [p["name"] for p in step["parameters"] if p["in_range"] is False]})
    return step


def record_hash(step: dict[str, Any]) -> str:
    """sha256 of the step record as signed, linking the signature to that exact content (21 CFR 11.70)."""
    content = {k: v for k, v in step.items() if k != "signoffs"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sign_off(store: MesStore, batch_id: str, step_id: str, user: str, meaning: str,
             comment: str | None) -> dict[str, Any]:
    batch = store.batch(batch_id)
    step = find_step(batch, step_id)
    person = store.person(user)
    if meaning not in SIGNER_ROLES:
        raise Unprocessable("unknown-meaning", f"meaning must be one of {sorted(SIGNER_ROLES)}")
    if person["role"] not in SIGNER_ROLES[meaning]:
        raise Forbidden("signer-not-authorised", f"{user} ({person['role']}) may not sign as {meaning!r}")
    _require_step_state(step, "completed", f"sign it as {meaning!r}")
    signed = {s["meaning"]: s for s in step["signoffs"]}
    if meaning in signed:
        raise Conflict("already-signed",
                       f"step {step_id} is already signed as {meaning!r} by {signed[meaning]['user']}")
    if meaning != "performed" and "performed" not in signed:
        raise Conflict("performer-signature-missing", f"step {step_id} must be signed as 'performed' first")
    if meaning != "performed" and signed["performed"]["user"] == user:
        raise Conflict("second-person-required", f"{user} performed step {step_id} and cannot also sign it as "
                       f"{meaning!r}")
    if meaning == "reviewed" and step["critical"] and "verified" not in signed:
        raise Conflict("verification-missing", f"critical step {step_id} must be verified before review")
    signature = {"signature_id": store.next_id("signature", "SIG"), "user": user, "name": person["name"],
                 "role": person["role"], "meaning": meaning, "signed_at": store.now(), "comment": comment,
                 "record_hash": record_hash(step)}
    step["signoffs"].append(signature)
    store.change(user, "sign", "step", f"{batch_id}/{step_id}", changes={f"signature.{meaning}": (None, user)},
                 reason=comment, event="step_signed_off", batch_id=batch_id,
                 data={"step_id": step_id, **{k: signature[k] for k in ("signature_id", "meaning", "name",
                                                                         "signed_at", "record_hash")}})
    return signature
