"""Scenario actions exposed through the simulator admin endpoint (tests and the demo scenario)."""

from __future__ import annotations

from typing import Any

from simulators import reference
from simulators.common.base import Action
from simulators.mes import batches
from simulators.mes.models import BatchCreate
from simulators.mes.operator import SUPERVISOR, Operator, open_step
from simulators.mes.store import MesStore


def summary(batch: dict[str, Any]) -> dict[str, Any]:
    nxt = open_step(batch)
    return {
        "batch_id": batch["batch_id"], "state": batch["state"], "lot": batch["lot"], "product": batch["product"],
        "master_batch_record_id": batch["master_batch_record_id"], "hold_reason": batch["hold_reason"],
        "steps_total": len(batch["steps"]),
        "steps_completed": sum(s["state"] == "completed" for s in batch["steps"]),
        "next_step": nxt["step_id"] if nxt else None,
        "samples": [{"sample_id": s["sample_id"], "type": s["type"], "test_codes": s["test_codes"]}
                    for s in batch["samples"]],
        "consumptions": [{"lot": c["lot"], "material": c["material"], "quantity": c["quantity"], "unit": c["unit"]}
                         for c in batch["consumptions"]],
        "external_references": [f"{r['system']}:{r['type']}:{r['reference']}" for r in batch["external_references"]],
    }


def scenario_actions(store: MesStore, operator: Operator) -> dict[str, Action]:
    def batch_id(params: dict[str, Any]) -> str:
        return str(params["batch_id"])

    async def create_batch(params: dict[str, Any]) -> dict[str, Any]:
        body = BatchCreate(batch_id=params.get("batch_id"), user=params.get("user", SUPERVISOR),
                           master_batch_record_id=params.get("master_recipe_id") or reference.MASTER_RECIPE["id"])
        return summary(batches.create_batch(store, body.batch_id, body.master_batch_record_id, body.user))

    async def start_batch(params: dict[str, Any]) -> dict[str, Any]:
        return summary(operator.start(batch_id(params)))

    async def advance_batch(params: dict[str, Any]) -> dict[str, Any]:
        step = operator.advance(batch_id(params))
        return {**summary(store.batch(batch_id(params))), "advanced_step": step["step_id"]}

    async def complete_batch(params: dict[str, Any]) -> dict[str, Any]:
        return summary(operator.complete(batch_id(params)))

    async def hold_batch(params: dict[str, Any]) -> dict[str, Any]:
        reason = str(params.get("reason") or "held from the simulator admin")
        return summary(batches.transition(store, batch_id(params), "hold", SUPERVISOR, reason))

    async def resume_batch(params: dict[str, Any]) -> dict[str, Any]:
        reason = str(params.get("reason") or "resumed from the simulator admin")
        return summary(batches.transition(store, batch_id(params), "resume", SUPERVISOR, reason))

    async def batch(params: dict[str, Any]) -> dict[str, Any]:
        return summary(store.batch(batch_id(params)))

    return {"create_batch": create_batch, "start_batch": start_batch, "advance_batch": advance_batch,
            "complete_batch": complete_batch, "hold_batch": hold_batch, "resume_batch": resume_batch,
            "batch": batch}
