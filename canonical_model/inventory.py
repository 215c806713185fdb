"""Inventory movements posted in the ERP (goods receipt, issue to a batch, return, adjustment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, Quantity, UtcDateTime

TransactionKind = Literal["receipt", "issue", "return", "adjustment", "transfer"]


class InventoryTransaction(CanonicalModel):
    """One posted movement of a lot; quantities are positive, the kind gives the direction."""

    transaction_id: Identifier = Field(description="Material document number in the ERP")
    lot_id: Identifier = Field(description="Lot moved")
    material_id: Identifier = Field(description="Material of the lot")
    kind: TransactionKind = Field(description="receipt, issue, return, adjustment or transfer")
    quantity: Quantity = Field(description="Moved quantity; signed only for adjustments")
    location: str = Field(min_length=1, description="Storage location (source for issues and transfers)")
    to_location: str | None = Field(default=None, min_length=1, description="Destination of a transfer")
    batch_id: Identifier | None = Field(default=None, description="Batch consuming or returning the material")
    posted_at: UtcDateTime = Field(description="When the ERP posted the movement")
    posted_by: Identifier | None = Field(default=None, description="User or service that posted it")

    @model_validator(mode="after")
    def _direction_rules(self) -> InventoryTransaction:
        check_movement(self.kind, self.quantity, self.to_location)
        return self


def check_movement(kind: TransactionKind, quantity: Quantity, to_location: str | None) -> None:
    """Rules shared by a posted transaction and the command that requests one."""
    if kind != "adjustment" and quantity.value <= 0:
        raise ValueError(f"quantity: must be > 0 for a {kind} (only adjustments are signed)")
    if (kind == "transfer") != (to_location is not None):
        raise ValueError("to_location: required for a transfer and only for a transfer")
