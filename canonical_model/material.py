"""Materials and lots (ISA-95 material definition and material lot).

A lot's status is owned by the ERP (the system of record for inventory); gxplink only relays it
and asks for changes through a `LotDisposition`, which a QA person decides and signs.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from canonical_model.base import CanonicalModel, Identifier, Quantity, UcumCode, UtcDateTime

MaterialClass = Literal["raw", "intermediate", "final", "consumable", "packaging"]
LotStatus = Literal["quarantine", "released", "rejected", "blocked"]
DispositionDecision = Literal["release", "reject", "block"]


class Material(CanonicalModel):
    """A material definition: what a lot is a quantity of."""

    material_id: Identifier = Field(description="Material number in the ERP, e.g. MAT-LV-CD19")
    name: str = Field(min_length=1, description="Human-readable material name")
    material_class: MaterialClass = Field(description="ISA-95 role: raw, intermediate, final, consumable, packaging")
    unit: UcumCode = Field(description="Base unit of measure as a UCUM code, e.g. 'mL'")


class MaterialLot(CanonicalModel):
    """A uniquely identified quantity of one material, with its quality status."""

    lot_id: Identifier = Field(description="Lot number, unique across materials")
    material_id: Identifier = Field(description="Material this lot is a quantity of")
    status: LotStatus = Field(description="Quality status: quarantine until QA disposition")
    quantity: Quantity = Field(description="Quantity on hand; never negative")
    expiry: date | None = Field(default=None, description="Expiry (or retest) date, if the material expires")
    supplier_lot: str | None = Field(default=None, min_length=1, description="The supplier's own lot number")
    supplier_id: Identifier | None = Field(default=None, description="Supplier (vendor) number in the ERP")
    batch_id: Identifier | None = Field(default=None, description="Batch that produced the lot, for made lots")
    manufactured_at: UtcDateTime | None = Field(default=None, description="When the lot was produced or received")

    @field_validator("quantity")
    @classmethod
    def _quantity_not_negative(cls, value: Quantity) -> Quantity:
        if value.value < 0:
            raise ValueError("lot quantity must be >= 0")
        return value


class LotDisposition(CanonicalModel):
    """QA's decision on a lot; a release must be signed (21 CFR 211.165, EU GMP Annex 16)."""

    lot_id: Identifier = Field(description="Lot the decision applies to")
    disposition: DispositionDecision = Field(description="release, reject or block")
    reason: str = Field(min_length=1, description="Why the decision was taken; required for the audit trail")
    decided_by: Identifier = Field(description="User id of the QA person who decided")
    decided_at: UtcDateTime = Field(description="When the decision was taken")
    signature_id: Identifier | None = Field(default=None, description="Electronic signature that executed it")
