"""Electronic batch record steps of a batch: start, record parameters, complete, sign off."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from simulators.mes import steps
from simulators.mes.models import Actor, ParameterValue, SignOff
from simulators.mes.schemas import Signature, Step
from simulators.mes.store import MesStore


def step_routes(store: MesStore) -> APIRouter:
    router = APIRouter(prefix="/batches/{batch_id}/steps", tags=["electronic batch record"])

    @router.get("", response_model=list[Step])
    async def list_steps(batch_id: str) -> Any:
        return store.batch(batch_id)["steps"]

    @router.get("/{step_id}", response_model=Step)
    async def get_step(batch_id: str, step_id: str) -> Any:
        return steps.find_step(store.batch(batch_id), step_id)

    @router.post("/{step_id}/start", response_model=Step)
    async def start_step(batch_id: str, step_id: str, body: Actor) -> Any:
        """Start the step; the previous step must be completed and the batch in execution."""
        return steps.start_step(store, batch_id, step_id, body.user)

    @router.post("/{step_id}/parameters", response_model=Step)
    async def record_parameter(batch_id: str, step_id: str, body: ParameterValue) -> Any:
        """Record a process parameter value (UCUM unit as in the master batch record); corrections need a reason."""
        return steps.record_parameter(store, batch_id, step_id, body.name, body.value, body.unit, body.user,
                                      body.reason)

    @router.post("/{step_id}/complete", response_model=Step)
    async def complete_step(batch_id: str, step_id: str, body: Actor) -> Any:
        return steps.complete_step(store, batch_id, step_id, body.user)

    @router.post("/{step_id}/signoffs", status_code=201, response_model=Signature)
    async def sign_off(batch_id: str, step_id: str, body: SignOff) -> Any:
        """Sign a completed step (performed, verified by a second person, reviewed by QA)."""
        return steps.sign_off(store, batch_id, step_id, body.user, body.meaning, body.comment)

    return router
