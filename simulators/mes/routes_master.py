"""Master data the MES holds: master batch records, equipment, users, materials and its lot view."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from simulators.mes import masters, records
from simulators.mes.master_models import MasterBatchRecordCreate
from simulators.mes.models import LotStatusChange
from simulators.mes.schemas import Lot, MasterBatchRecord
from simulators.mes.store import MesStore


def master_routes(store: MesStore) -> APIRouter:
    router = APIRouter(tags=["master data"])

    @router.get("/master-batch-records", response_model=list[MasterBatchRecord])
    async def list_master_batch_records() -> Any:
        """Approved master batch records (the recipe as the MES executes it)."""
        return list(store.data["master_batch_records"].values())

    @router.post("/master-batch-records", status_code=201, response_model=MasterBatchRecord,
                 responses={200: {"model": MasterBatchRecord, "description": "This content is held already: "
                                                                          "that version, unchanged"}})
    async def create_master_batch_record(body: MasterBatchRecordCreate, response: Response) -> Any:
        """Make a master batch record (or its next version) from an ISA-88 recipe bound to this plant's units.

        The same content again answers 200 with the version holding it; 409 for an older or conflicting
        recipe version or another product under the id; 422 for units or classes the plant lacks.
        """
        record, created = masters.create_version(store, body)
        response.status_code = 201 if created else 200
        response.headers["Location"] = f"/master-batch-records/{record['id']}/versions/{record['version']}"
        return record

    @router.get("/master-batch-records/{mbr_id}", response_model=MasterBatchRecord)
    async def get_master_batch_record(mbr_id: str) -> Any:
        """The current (latest) version."""
        return store.master_batch_record(mbr_id)

    @router.get("/master-batch-records/{mbr_id}/versions", response_model=list[MasterBatchRecord])
    async def list_master_batch_record_versions(mbr_id: str) -> Any:
        """Every version, oldest first; earlier ones are superseded."""
        store.master_batch_record(mbr_id)
        return masters.versions(store, mbr_id)

    @router.get("/master-batch-records/{mbr_id}/versions/{version}", response_model=MasterBatchRecord)
    async def get_master_batch_record_version(mbr_id: str, version: int) -> Any:
        return masters.version_of(store, mbr_id, version)

    @router.get("/equipment")
    async def list_equipment() -> list[dict[str, Any]]:
        """The ISA-88 physical model: area, process cell, units."""
        return list(store.data["equipment"])

    @router.get("/users")
    async def list_users() -> list[dict[str, Any]]:
        """Users who may execute and sign batch records."""
        return list(store.data["users"])

    @router.get("/materials")
    async def list_materials() -> list[dict[str, Any]]:
        return list(store.data["materials"].values())

    @router.get("/lots", response_model=list[Lot])
    async def list_lots(material: str | None = None,
                        status: Literal["released", "quarantine", "rejected", "blocked"] | None = None) -> Any:
        """The MES's view of material lots; only released lots can be dispensed."""
        return [lot for lot in store.data["lots"].values()
                if (material is None or lot["material"] == material) and (status is None or lot["status"] == status)]

    @router.get("/lots/{lot_id}", response_model=Lot)
    async def get_lot(lot_id: str) -> Any:
        return store.lot(lot_id)

    @router.patch("/lots/{lot_id}", response_model=Lot)
    async def change_lot_status(lot_id: str, body: LotStatusChange) -> Any:
        """Set a lot's status in the MES material view (as synchronised from ERP/QC)."""
        return records.set_lot_status(store, lot_id, body.status, body.reason, body.user)

    return router
