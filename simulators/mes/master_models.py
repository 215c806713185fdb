"""Request body of POST /master-batch-records: an ISA-88 recipe the MES turns into a master batch record.

The MES names steps itself (PH-<unit procedure><phase>, as its own records do) and binds each equipment
class to one of its units, so a body says which classes run where, never step ids. Bounded and strict
like every MES body: unknown fields, control characters and non-finite numbers are refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulators.mes.models import Amount, Body, Id, Number, Quantity, Text, Ucum, UserId

Classification = Literal["CPP", "CQA", "KPP", "non-critical"]


class ParameterIn(Body):
    name: Text = Field(max_length=200)
    unit: Ucum
    sp: Number | None = Field(default=None, description="Set point, in `unit`")
    lo: Number | None = Field(default=None, description="Lowest acceptable value, in `unit`")
    hi: Number | None = Field(default=None, description="Highest acceptable value, in `unit`")
    class_: Classification = Field(alias="class", description="ICH Q8 criticality; CPP and CQA make a step critical")

    @model_validator(mode="after")
    def _in_range(self) -> ParameterIn:
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise ValueError("lo must not be greater than hi")
        if self.sp is not None and ((self.lo is not None and self.sp < self.lo)
                                    or (self.hi is not None and self.sp > self.hi)):
            raise ValueError("sp must lie within [lo, hi]")
        return self


class PhaseIn(Body):
    name: Text = Field(max_length=200)
    equipment_class: Id | None = Field(default=None, description="Defaults to the unit procedure's class")
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _names_unique(self) -> PhaseIn:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError("parameter names must be unique within a phase (values are recorded by name)")
        return self


class OperationIn(Body):
    name: Text = Field(max_length=200)
    phases: list[PhaseIn] = Field(min_length=1, max_length=50)


class UnitProcedureIn(Body):
    name: Text = Field(max_length=200)
    equipment_class: Id = Field(description="Class of the unit the procedure runs on, e.g. bioreactor")
    operations: list[OperationIn] = Field(min_length=1, max_length=50)


class MaterialLineIn(Body):
    material: Id
    quantity: Amount
    unit: Ucum


class MasterBatchRecordCreate(Body):
    id: Id = Field(description="Master batch record id; a known id gets a new version", examples=["MR-CART19"])
    product: Id
    product_name: Text | None = Field(default=None, max_length=200, description="Kept from the current version, "
                                      "else the product code")
    recipe_version: int | None = Field(default=None, ge=1, le=1_000_000,
                                       description="Version of the source recipe; an older one than held is refused")
    description: Text | None = None
    batch_id_prefix: Id | None = Field(default=None, max_length=16, description="Kept from the current version, "
                                       "else the product code")
    planned_quantity: Quantity | None = Field(default=None, description="Kept from the current version if omitted")
    bill_of_materials: list[MaterialLineIn] = Field(default_factory=list, max_length=50)
    equipment_binding: dict[Id, Id] = Field(min_length=1, max_length=50,
                                            description="Equipment class -> unit of this plant, e.g. "
                                                        "{\"bioreactor\": \"BR-101\"}")
    unit_procedures: list[UnitProcedureIn] = Field(min_length=1, max_length=50)
    reason: Text = Field(description="Why the record is created (the audit trail keeps it)")
    user: UserId | None = None
