"""Events from the ERP: lots and their status, inventory movements, BOMs and production orders."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from canonical_model.base import Identifier, SourceSystem
from canonical_model.events._status import StatusChangeFields
from canonical_model.inventory import InventoryTransaction
from canonical_model.material import DispositionDecision, LotDisposition, LotStatus, MaterialLot
from canonical_model.messages import Event
from canonical_model.process_definition import Bom
from canonical_model.production_order import ProductionOrder


class _ErpEvent(Event):
    SYSTEM: ClassVar[SourceSystem] = "erp"


class LotCreated(_ErpEvent):
    """A lot was created (goods receipt of a raw material, or the output lot of a batch)."""

    NAME: ClassVar[str] = "lot_created"
    lot: MaterialLot = Field(description="The new lot")


class LotStatusChanged(_ErpEvent, StatusChangeFields):
    """A lot's quality status changed in the ERP, for whatever reason."""

    NAME: ClassVar[str] = "lot_status_changed"
    lot_id: Identifier = Field(description="Lot number")
    previous_status: LotStatus | None = Field(default=None, description="Status before, if known")
    status: LotStatus = Field(description="New status")
    version: str | None = Field(default=None, min_length=1, description="ERP record version (etag) after it")

    @model_validator(mode="after")
    def _changes(self) -> LotStatusChanged:
        if self.previous_status == self.status:
            raise ValueError("status: must differ from previous_status")
        return self


class _DispositionEvent(_ErpEvent):
    EXPECTED: ClassVar[DispositionDecision]
    disposition: LotDisposition = Field(description="The executed QA decision")

    @model_validator(mode="after")
    def _matches(self) -> _DispositionEvent:
        if self.disposition.disposition != self.EXPECTED:
            raise ValueError(f"disposition.disposition: must be {self.EXPECTED!r} for {type(self).__name__}")
        return self


class LotReleased(_DispositionEvent):
    """QA released a lot; it may now be used or shipped."""

    NAME: ClassVar[str] = "lot_released"
    EXPECTED: ClassVar[DispositionDecision] = "release"


class LotRejected(_DispositionEvent):
    """QA rejected a lot; it must be destroyed or returned."""

    NAME: ClassVar[str] = "lot_rejected"
    EXPECTED: ClassVar[DispositionDecision] = "reject"


class InventoryTransactionPosted(_ErpEvent):
    """An inventory movement was posted."""

    NAME: ClassVar[str] = "inventory_transaction_posted"
    transaction: InventoryTransaction = Field(description="The posted movement")


class BomPublished(_ErpEvent):
    """A bill of materials version became effective."""

    NAME: ClassVar[str] = "bom_published"
    bom: Bom = Field(description="The published BOM")


class ProductionOrderCreated(_ErpEvent):
    """A production order was created."""

    NAME: ClassVar[str] = "production_order_created"
    order: ProductionOrder = Field(description="The new order")
