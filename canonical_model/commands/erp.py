"""Commands to the ERP: lot disposition, inventory postings, production orders and master data.

`expected_version` is optimistic concurrency: the ERP refuses the change if the lot changed since
the caller read it (an etag), so a release decided on stale data cannot be executed.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from canonical_model.base import Identifier, Quantity, SourceSystem, UtcDateTime
from canonical_model.inventory import TransactionKind, check_movement
from canonical_model.material import DispositionDecision, Material
from canonical_model.messages import Command
from canonical_model.process_definition import Bom


class _ErpCommand(Command):
    SYSTEM: ClassVar[SourceSystem] = "erp"


class SetLotDisposition(_ErpCommand):
    """Set a lot's disposition (release, reject or block); a release must carry its signature."""

    NAME: ClassVar[str] = "set_lot_disposition"
    lot_id: Identifier = Field(description="Lot to disposition")
    disposition: DispositionDecision = Field(description="release, reject or block")
    reason: str = Field(min_length=1, description="Why")
    signature_id: Identifier | None = Field(default=None, description="Electronic signature of the decision")
    expected_version: str | None = Field(default=None, min_length=1, description="Lot version (etag) read")

    @model_validator(mode="after")
    def _release_is_signed(self) -> SetLotDisposition:
        if self.disposition == "release" and self.signature_id is None:
            raise ValueError("signature_id: required to release a lot")
        return self


class ReleaseLot(_ErpCommand):
    """Release a lot (same effect as SetLotDisposition with 'release')."""

    NAME: ClassVar[str] = "release_lot"
    lot_id: Identifier = Field(description="Lot to release")
    reason: str = Field(min_length=1, description="Release justification")
    signature_id: Identifier = Field(description="Electronic signature of the release")
    expected_version: str | None = Field(default=None, min_length=1, description="Lot version (etag) read")


class PostInventoryTransaction(_ErpCommand):
    """Post an inventory movement; `reference` makes the posting idempotent in the ERP."""

    NAME: ClassVar[str] = "post_inventory_transaction"
    reference: Identifier = Field(description="Caller's reference, unique per movement")
    lot_id: Identifier = Field(description="Lot to move")
    material_id: Identifier = Field(description="Material of the lot")
    kind: TransactionKind = Field(description="receipt, issue, return, adjustment or transfer")
    quantity: Quantity = Field(description="Quantity; > 0 except for adjustments")
    location: str = Field(min_length=1, description="Storage location")
    to_location: str | None = Field(default=None, min_length=1, description="Destination of a transfer")
    batch_id: Identifier | None = Field(default=None, description="Batch consuming or returning it")
    production_order_id: Identifier | None = Field(default=None, description="ERP production order it posts against")
    reason: str | None = Field(default=None, min_length=1, description="Why (required by most ERPs for adjustments)")

    @model_validator(mode="after")
    def _direction_rules(self) -> PostInventoryTransaction:
        check_movement(self.kind, self.quantity, self.to_location)
        return self


class CreateProductionOrder(_ErpCommand):
    """Create a production order for a batch."""

    NAME: ClassVar[str] = "create_production_order"
    product: Identifier = Field(description="Material id of the product")
    quantity: Quantity = Field(description="Planned output quantity")
    batch_id: Identifier = Field(description="Batch that will execute the order")
    planned_start: UtcDateTime = Field(description="Planned start")
    bom_id: Identifier | None = Field(default=None, description="BOM to explode, if not the default")

    @model_validator(mode="after")
    def _positive(self) -> CreateProductionOrder:
        if self.quantity.value <= 0:
            raise ValueError("quantity: must be > 0")
        return self


class ProvisionMaterials(_ErpCommand):
    """Create the material masters of a transferred process and, optionally, its product's BOM.

    BOM lines are quantities per batch, while an ERP explodes a BOM by order quantity over the BOM's
    base quantity: `batch_quantity` (how much product one batch makes) is that base quantity.
    """

    NAME: ClassVar[str] = "provision_materials"
    transfer_id: Identifier = Field(description="Tech transfer the materials come with")
    materials: tuple[Material, ...] = Field(default=(), description="Material masters, in this site's codes")
    bom: Bom | None = Field(default=None, description="Bill of materials of the product, in this site's codes")
    batch_quantity: Quantity | None = Field(default=None, description="Product one batch makes; required with bom")

    @model_validator(mode="after")
    def _consistent(self) -> ProvisionMaterials:
        if not self.materials and self.bom is None:
            raise ValueError("materials or bom: give at least one")
        ids = [m.material_id for m in self.materials]
        if len(set(ids)) != len(ids):
            raise ValueError("materials: material ids must be unique")
        if self.bom is not None and self.batch_quantity is None:
            raise ValueError("batch_quantity: required with a bom (it is the BOM's base quantity)")
        if self.batch_quantity is not None and self.batch_quantity.value <= 0:
            raise ValueError("batch_quantity: must be > 0")
        if self.bom is not None:
            lines = [line.material_id for line in self.bom.lines]
            if len(set(lines)) != len(lines):
                raise ValueError("bom.lines: a material may appear once")
        return self
