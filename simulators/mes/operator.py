"""A simulated shop floor: operators executing the electronic batch record step by step.

Used by the scenario actions and to seed history. It goes through the same business rules as API
clients (no shortcuts), so everything it does shows up in the change feed and the audit trail.
Parameter values are drawn around the set point from a generator seeded by (seed, batch, step).
"""

from __future__ import annotations

import random
from typing import Any

from simulators.mes import batches, records, steps
from simulators.mes.errors import Conflict
from simulators.mes.seed import STARTING_MATERIAL, starting_material_lot
from simulators.mes.store import MesStore

PERFORMER, VERIFIER, SUPERVISOR, REVIEWER = "jdoe", "asmith", "sup.kchen", "qa.mlee"


def open_step(batch: dict[str, Any]) -> dict[str, Any] | None:
    """The first step that is not completed or still lacks a required signature."""
    step: dict[str, Any]
    for step in batch["steps"]:
        meanings = {s["meaning"] for s in step["signoffs"]}
        if step["state"] != "completed" or "performed" not in meanings or (
                step["critical"] and "verified" not in meanings):
            return step
    return None


def _open_ended(rng: random.Random, lo: float | None, hi: float | None, sp: float | None) -> float:
    """Around the set point (else the middle, else the one limit), kept within the limits there are."""
    known = [x for x in (lo, hi) if x is not None]
    center = sp if sp is not None else sum(known) / len(known) if known else 1.0
    spread = (hi - lo) / 12 if lo is not None and hi is not None else abs(center) * 0.02 or 0.1
    value = rng.gauss(center, spread)
    value = max(value, lo) if lo is not None else value
    return round(min(value, hi) if hi is not None else value, 3)


class Operator:
    def __init__(self, store: MesStore, seed: int) -> None:
        self.store, self.seed = store, seed

    def _value(self, batch_id: str, step_id: str, param: dict[str, Any]) -> float:
        rng = random.Random(f"{self.seed}:{batch_id}:{step_id}:{param['name']}")
        lo, hi, sp = param.get("lo"), param.get("hi"), param.get("sp")
        if lo is None or hi is None or sp is None:  # an open-ended parameter of a provisioned record
            return _open_ended(rng, lo, hi, sp)
        spread = (hi - lo) / 12
        return round(min(float(hi), max(float(lo), rng.gauss(sp, spread))), 3)

    def _lot_for(self, batch_id: str, material: str, quantity: float) -> str:
        if material == STARTING_MATERIAL:
            return starting_material_lot(batch_id)
        today = self.store.clock.now().date().isoformat()
        usable = [lot for lot in self.store.data["lots"].values() if lot["material"] == material
                  and lot["status"] == "released" and lot["remaining"] >= quantity
                  and not (lot.get("expiry") and lot["expiry"] < today)]
        if not usable:
            raise Conflict("no-lot-available", f"no released lot of {material} holds {quantity}")
        return str(min(usable, key=lambda lot: (lot.get("expiry") or "9999", lot["id"]))["id"])  # FEFO

    def _execute(self, batch: dict[str, Any], step: dict[str, Any]) -> None:
        batch_id, step_id = batch["batch_id"], step["step_id"]
        if step["state"] == "pending":
            steps.start_step(self.store, batch_id, step_id, PERFORMER)
        for param in step["parameters"]:
            if param["value"] is None:
                steps.record_parameter(self.store, batch_id, step_id, param["name"],
                                       self._value(batch_id, step_id, param), param["unit"], PERFORMER, None)
        done = {c["material"] for c in batch["consumptions"] if c["step_id"] == step_id}
        for need in step["planned_materials"]:
            if need["material"] not in done:
                lot = self._lot_for(batch_id, need["material"], need["quantity"])
                records.consume(self.store, batch_id, lot, need["material"], need["quantity"], need["unit"],
                                step_id, PERFORMER)
        pulled = {s["type"] for s in batch["samples"] if s["step_id"] == step_id}
        for plan in step["planned_samples"]:
            if plan["type"] not in pulled:
                records.pull_sample(self.store, batch_id, None, plan["type"], plan["test_codes"], step_id,
                                    PERFORMER, None, None)
        steps.complete_step(self.store, batch_id, step_id, PERFORMER)

    def advance(self, batch_id: str) -> dict[str, Any]:
        """Complete and sign the next open step of a batch in execution."""
        batch = self.store.batch(batch_id)
        step = open_step(batch)
        if step is None:
            raise Conflict("no-open-step", f"every step of {batch_id} is completed and signed")
        with self.store.deferred_save():
            if step["state"] != "completed":
                steps.require_execution(batch, "advance the batch")
                self._execute(batch, step)
            meanings = {s["meaning"] for s in step["signoffs"]}
            if "performed" not in meanings:
                steps.sign_off(self.store, batch_id, step["step_id"], PERFORMER, "performed", None)
            if step["critical"] and "verified" not in meanings:
                steps.sign_off(self.store, batch_id, step["step_id"], VERIFIER, "verified", None)
        return step

    def start(self, batch_id: str) -> dict[str, Any]:
        if self.store.batch(batch_id)["state"] == "created":
            batches.transition(self.store, batch_id, "release", SUPERVISOR, None)
        return batches.transition(self.store, batch_id, "start", SUPERVISOR, None)

    def complete(self, batch_id: str) -> dict[str, Any]:
        """Run every remaining step and complete the batch (starting it first if it is not running yet)."""
        with self.store.deferred_save():
            if self.store.batch(batch_id)["state"] in ("created", "released"):
                self.start(batch_id)
            while open_step(self.store.batch(batch_id)) is not None:
                self.advance(batch_id)
            return batches.transition(self.store, batch_id, "complete", SUPERVISOR, None)

    def review(self, batch_id: str) -> None:
        """QA batch record review: a 'reviewed' signature on every step."""
        for step in self.store.batch(batch_id)["steps"]:
            if "reviewed" not in {s["meaning"] for s in step["signoffs"]}:
                steps.sign_off(self.store, batch_id, step["step_id"], REVIEWER, "reviewed", None)
