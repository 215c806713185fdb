"""Response shapes, for the OpenAPI document that clients and schemathesis read."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Material(BaseModel):
    id: str
    name: str
    material_class: str
    material_type: str = Field(description="SAP material type: ROH, VERP, FERT")
    base_unit: str
    plant: str


class Lot(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    odata_etag: str = Field(alias="@odata.etag")
    id: str
    material: str
    plant: str
    storage_location: str
    status: str = Field(description="quarantine, released, rejected or blocked")
    stock_type: str = Field(description="unrestricted, quality_inspection or blocked")
    quantity: float
    unit: str
    expiry: str | None
    production_order: str | None
    created_at: str
    changed_at: str
    version: int


class UsageDecision(BaseModel):
    id: str = Field(description="Inspection lot number")
    lot: str
    material: str
    decision: str
    code: str = Field(description="A accepted, R rejected, B blocked")
    status_before: str
    status_after: str
    reason: str
    user: str
    decided_at: str
    esignature_ref: str | None


class InventoryTransaction(BaseModel):
    id: str = Field(description="Material document number")
    movement_type: str
    movement: str
    material: str
    lot: str
    plant: str
    quantity: float
    unit: str
    posting_date: str
    entered_at: str
    user: str
    production_order: str | None
    from_storage_location: str | None
    to_storage_location: str | None
    from_stock_type: str | None
    to_stock_type: str | None
    reason: str | None


class Component(BaseModel):
    item: str
    material: str
    quantity: float
    unit: str


class ProductionOrder(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    odata_etag: str = Field(alias="@odata.etag")
    id: str
    material: str
    plant: str
    batch_id: str
    lot: str
    quantity: float
    unit: str
    status: str = Field(description="created, released, confirmed or closed")
    bom: str | None
    components: list[Component]
    created_at: str
    changed_at: str
    version: int


class Bom(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    odata_etag: str = Field(alias="@odata.etag")
    id: str
    material: str
    product: str
    plant: str
    usage: str
    alternative: str
    base_quantity: float
    base_unit: str
    status: str
    items: list[Component]
    changed_at: str
    version: int


class ChangeRecord(BaseModel):
    seq: int
    type: str = Field(description="lot_created, lot_status_changed, usage_decision_posted, "
                      "inventory_transaction_posted, production_order_created, production_order_status_changed, "
                      "material_created, bom_created, bom_changed")
    at: str
    user: str
    object_type: str
    object_id: str
    changes: dict[str, Any]
    reason: str | None
    data: dict[str, Any]


class ChangePage(BaseModel):
    value: list[ChangeRecord]
    next_cursor: int = Field(description="Pass as `after` to read on")


class AuditEntry(BaseModel):
    seq: int
    at: str
    user: str
    action: str
    record_type: str
    record_id: str
    field: str | None
    old: Any
    new: Any
    reason: str | None


class AuditPage(BaseModel):
    value: list[AuditEntry]
    next_after: int


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(populate_by_name=True)
    count: int | None = Field(None, alias="@odata.count")
    value: list[T]
    next_link: str | None = Field(None, alias="@odata.nextLink")


class Posted(BaseModel):
    usage_decision: UsageDecision
    lot: Lot


class ProblemDetails(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
