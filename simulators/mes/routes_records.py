"""Records attached to a batch: material consumption, samples, QC result summaries, external references."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from simulators.mes import records
from simulators.mes.models import Consumption, ExternalReference, QcSummary, SamplePull
from simulators.mes.schemas import ConsumptionOut, ExternalReferenceOut, QcSummaryOut, SampleOut
from simulators.mes.store import MesStore


def record_routes(store: MesStore) -> APIRouter:
    router = APIRouter(prefix="/batches/{batch_id}", tags=["batch records"])

    @router.get("/consumptions", response_model=list[ConsumptionOut])
    async def list_consumptions(batch_id: str) -> Any:
        return store.batch(batch_id)["consumptions"]

    @router.post("/consumptions", status_code=201, response_model=ConsumptionOut)
    async def consume(batch_id: str, body: Consumption) -> Any:
        """Dispense material from a lot; the lot must be released in the MES material view (else 409)."""
        return records.consume(store, batch_id, body.lot, body.material, body.quantity, body.unit, body.step_id,
                               body.user)

    @router.get("/samples", response_model=list[SampleOut])
    async def list_samples(batch_id: str) -> Any:
        return store.batch(batch_id)["samples"]

    @router.post("/samples", status_code=201, response_model=SampleOut)
    async def pull_sample(batch_id: str, body: SamplePull) -> Any:
        quantity = body.quantity.model_dump() if body.quantity else None
        pulled_at = body.pulled_at.isoformat() if body.pulled_at else None
        return records.pull_sample(store, batch_id, body.sample_id, body.type, body.test_codes, body.step_id,
                                   body.pulled_by, pulled_at, quantity)

    @router.get("/qc-summaries", response_model=list[QcSummaryOut])
    async def list_qc_summaries(batch_id: str) -> Any:
        return store.batch(batch_id)["qc_summaries"]

    @router.post("/qc-summaries", status_code=201, response_model=QcSummaryOut)
    async def record_qc_summary(batch_id: str, body: QcSummary) -> Any:
        """Record QC results (from the LIMS) on the batch record for batch record review."""
        results = [r.model_dump() for r in body.results]
        return records.record_qc_summary(store, batch_id, results, body.lims_reference, body.user)

    @router.get("/external-references", response_model=list[ExternalReferenceOut])
    async def list_external_references(batch_id: str) -> Any:
        return store.batch(batch_id)["external_references"]

    @router.post("/external-references", status_code=201, response_model=ExternalReferenceOut)
    async def attach_reference(batch_id: str, body: ExternalReference) -> Any:
        """Link a record of another system (QMS deviation, ERP order, LIMS order...) to the batch."""
        return records.attach_reference(store, batch_id, body.system, body.type, body.reference, body.description,
                                        body.user)

    return router
