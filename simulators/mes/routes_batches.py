"""Batches: create from a master batch record, read, move through the lifecycle, export as BatchML."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from simulators.mes import batches
from simulators.mes.batchml import batch_production_record
from simulators.mes.models import BatchCreate, Transition
from simulators.mes.schemas import Batch
from simulators.mes.store import MesStore

State = Literal["created", "released", "in_execution", "on_hold", "completed", "aborted", "cancelled"]


def _record_ids(batch: dict[str, Any]) -> set[str]:
    """Ids of the records that make up a batch's record (for its change history)."""
    own = {batch["batch_id"], batch["starting_material_lot"]}
    for key, id_key in (("consumptions", "consumption_id"), ("samples", "sample_id"),
                        ("qc_summaries", "summary_id"), ("external_references", "reference_id")):
        own.update(r[id_key] for r in batch[key])
    return own


def batch_routes(store: MesStore) -> APIRouter:
    router = APIRouter(tags=["batches"])

    @router.get("/batches", response_model=list[Batch])
    async def list_batches(state: State | None = None, offset: int = Query(0, ge=0, le=1_000_000),
                           limit: int = Query(100, ge=1, le=1000)) -> Any:
        found = [b for b in store.data["batches"].values() if state is None or b["state"] == state]
        return found[offset:offset + limit]

    @router.post("/batches", status_code=201, response_model=Batch)
    async def create_batch(body: BatchCreate, response: Response) -> Any:
        """Create a batch (state `created`) from a master batch record; its lot is L-<batch id>."""
        quantity = body.planned_quantity.model_dump() if body.planned_quantity else None
        batch = batches.create_batch(store, body.batch_id, body.master_batch_record_id, body.user, quantity)
        response.headers["Location"] = f"/batches/{batch['batch_id']}"
        return batch

    @router.get("/batches/{batch_id}", response_model=Batch)
    async def get_batch(batch_id: str) -> Any:
        return store.batch(batch_id)

    @router.post("/batches/{batch_id}/transitions", response_model=Batch)
    async def transition_batch(batch_id: str, body: Transition) -> Any:
        """Move the batch: release, start, hold, resume, complete, abort or cancel. 409 if not allowed now."""
        return batches.transition(store, batch_id, body.action, body.user, body.reason)

    @router.get("/batches/{batch_id}/batchml", response_class=Response,
                responses={200: {"content": {"application/xml": {}},
                                 "description": "B2MML/BatchML V0700 BatchProductionRecord"}})
    async def export_batchml(batch_id: str) -> Response:
        """The batch production record as B2MML/BatchML V0700 (BatchML-BatchProductionRecord.xsd)."""
        batch = store.batch(batch_id)
        own, prefix = _record_ids(batch), batch_id + "/"
        audit = [e for e in store.audit.entries if e.record_id in own or e.record_id.startswith(prefix)]
        names = {u["id"]: u["name"] for u in store.data["users"]}
        xml = batch_production_record(batch, store.feed.for_batch(batch_id), audit, names, store.now())
        return Response(xml, media_type="application/xml")

    return router
