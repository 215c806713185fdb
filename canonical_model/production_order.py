"""Production orders: the ERP's instruction to make a quantity of product, executed as a batch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, Quantity, UtcDateTime

ProductionOrderStatus = Literal["created", "released", "in_progress", "completed", "closed", "cancelled"]


class ProductionOrder(CanonicalModel):
    """An ERP production (process) order."""

    production_order_id: Identifier = Field(description="Order number in the ERP")
    product: Identifier = Field(description="Material id of the product to make")
    quantity: Quantity = Field(description="Planned output quantity; > 0")
    status: ProductionOrderStatus = Field(description="Order status in the ERP")
    batch_id: Identifier | None = Field(default=None, description="Batch executing the order, once assigned")
    bom_id: Identifier | None = Field(default=None, description="Bill of materials the order explodes")
    planned_start: UtcDateTime | None = Field(default=None, description="Planned start, if the ERP plans one")
    planned_end: UtcDateTime | None = Field(default=None, description="Planned end; not before planned_start")

    @model_validator(mode="after")
    def _plausible(self) -> ProductionOrder:
        if self.quantity.value <= 0:
            raise ValueError("quantity: must be > 0")
        if self.planned_end is not None and self.planned_start is not None and self.planned_end < self.planned_start:
            raise ValueError("planned_end: must not be before planned_start")
        return self
