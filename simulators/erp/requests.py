"""Request bodies: strict (unknown fields are refused) and bounded, so any input maps to a 4xx."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from simulators.erp.units import UNITS

Id = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$"),
                   Field(description="Acting user; defaults to the authenticated technical user")]
Quantity = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)]
Unit = Annotated[str, Field(min_length=1, max_length=16, description="UCUM unit",
                            json_schema_extra={"enum": list(UNITS)})]
StorageLocation = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{4}$"), Field(description="e.g. 1000")]
LotStatus = Literal["quarantine", "released", "rejected", "blocked"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LotCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"id": "LVV-24-018", "material": "MAT-LVV", "quantity": 40.0, "unit": "mL", "expiry": "2027-12-31"}]})

    id: Id
    material: Id
    quantity: Quantity
    unit: Unit
    status: LotStatus = "quarantine"
    expiry: date | None = None
    storage_location: StorageLocation | None = None
    production_order: Id | None = None
    reason: Text | None = None
    user: UserId | None = None


class LotStatusChange(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"status": "blocked", "reason": "Deviation DEV-0042 under investigation"}]})

    status: LotStatus
    reason: Text
    user: UserId | None = None


class UsageDecisionCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "accept", "reason": "All release tests within specification", "user": "qa.mlee"}]})

    decision: Literal["accept", "reject", "block"] = Field(description="accept releases, reject rejects, block blocks")
    reason: Text
    user: UserId | None = None
    esignature_ref: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class GoodsMovementCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"movement_type": "261", "material": "MAT-LVV", "lot": "LVV-24-017", "quantity": 2.0, "unit": "mL",
         "production_order": "1000001"}]})

    movement_type: Literal["101", "261", "311", "701", "702"] = Field(
        description="101 goods receipt, 261 goods issue to order, 311 transfer, 701/702 inventory difference +/-")
    material: Id
    lot: Id
    quantity: Quantity
    unit: Unit
    posting_date: date | None = None
    production_order: Id | None = None
    storage_location: StorageLocation | None = Field(None, description="Receiving / target storage location")
    expiry: date | None = Field(None, description="Shelf-life expiry of a batch created by a 101 receipt")
    reason: Text | None = None
    user: UserId | None = None


class ProductionOrderCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"material": "MAT-CART", "batch_id": "B-2024-0001", "quantity": 140.0, "unit": "mL"}]})

    material: Id = "MAT-CART"
    batch_id: Id
    lot: Id | None = Field(None, description="Defaults to the plant's convention L-<batch_id>")
    quantity: Quantity = 140.0
    unit: Unit = "mL"
    user: UserId | None = None


class ProductionOrderStatusChange(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"status": "released"}]})

    status: Literal["released", "confirmed", "closed"]
    reason: Text | None = None
    user: UserId | None = None


class BomItemIn(Strict):
    material: Id
    quantity: Quantity
    unit: Unit


class BomChange(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"items": [{"material": "MAT-LVV", "quantity": 2.5, "unit": "mL"}], "reason": "ECN-0007 vector volume"}]})

    items: list[BomItemIn] = Field(min_length=1, max_length=50)
    base_quantity: Quantity | None = Field(None, description="New base quantity (the items are for this much)")
    base_unit: Unit | None = Field(None, description="Unit of base_quantity; the product's base unit if omitted")
    reason: Text
    user: UserId | None = None


MaterialClass = Literal["starting_material", "raw_material", "intermediate", "consumable", "packaging",
                        "final_product"]


class MaterialCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"id": "MAT-IL2", "name": "Interleukin-2, recombinant", "material_class": "raw_material", "base_unit": "mL",
         "reason": "new raw material for process change CC-0012"}]})

    id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")]
    material_class: MaterialClass = Field(description="Decides the SAP material type (ROH, HALB, VERP, FERT)")
    base_unit: Unit
    reason: Text | None = None
    user: UserId | None = None


class BomCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"id": "BOM-MAT-IL2X", "material": "MAT-CART", "base_quantity": 140.0, "base_unit": "mL",
         "items": [{"material": "MAT-LVV", "quantity": 2.0, "unit": "mL"}], "reason": "new product BOM"}]})

    id: Id | None = Field(None, description="Defaults to BOM-<material>")
    material: Id = Field(description="The product the BOM makes")
    base_quantity: Quantity = Field(description="Quantity of product the items are for (one batch)")
    base_unit: Unit | None = Field(None, description="Unit of base_quantity; the product's base unit if omitted")
    items: list[BomItemIn] = Field(min_length=1, max_length=50)
    reason: Text
    user: UserId | None = None
