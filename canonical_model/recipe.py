"""ISA-88 procedural model of a master recipe: unit procedures > operations > phases.

Process parameters carry their criticality (ICH Q8: CPP, CQA, KPP) because the classification
decides whether an excursion opens a deviation or is only logged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, Quantity, UcumCode

ParameterClassification = Literal["CPP", "CQA", "KPP", "non-critical"]


class ProcessParameter(CanonicalModel):
    """A parameter of a phase with its target and acceptable range, all in one unit."""

    name: str = Field(min_length=1, description="Parameter name, e.g. 'temperature'")
    unit: UcumCode = Field(description="Unit of set point and limits")
    set_point: Quantity | None = Field(default=None, description="Target value; in `unit`")
    low: float | None = Field(default=None, allow_inf_nan=False, description="Lower acceptable limit in `unit`")
    high: float | None = Field(default=None, allow_inf_nan=False, description="Upper acceptable limit in `unit`")
    classification: ParameterClassification = Field(description="ICH Q8 criticality")

    @model_validator(mode="after")
    def _consistent_range(self) -> ProcessParameter:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low: must not be greater than high")
        if self.set_point is not None:
            if self.set_point.unit != self.unit:
                raise ValueError(f"set_point.unit: must equal unit {self.unit!r}")
            value = self.set_point.value
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                raise ValueError("set_point: must lie within [low, high]")
        return self


class Phase(CanonicalModel):
    """The smallest procedural element; executed by one equipment phase in the DCS."""

    name: str = Field(min_length=1, description="Phase name, e.g. 'EXPAND'")
    equipment_class: str | None = Field(default=None, description="Class of equipment that can run it")
    parameters: tuple[ProcessParameter, ...] = Field(default=(), description="Parameters of the phase")


class Operation(CanonicalModel):
    """An ordered set of phases that carries material through one major processing step."""

    name: str = Field(min_length=1, description="Operation name, e.g. 'Transduction'")
    phases: tuple[Phase, ...] = Field(min_length=1, description="Phases in execution order")


class RecipeStep(CanonicalModel):
    """A phase of a master recipe as the MES executes it: bound to the unit this site runs it on.

    ISA-88 master recipes name equipment classes; a site's master batch record names the unit, which
    is what process values are measured on, so this is what recipe ranges are checked against.
    """

    step_id: Identifier = Field(description="Step id in the master batch record, e.g. PH-0501")
    name: str = Field(min_length=1, description="Step (phase) name, e.g. 'Expand'")
    unit_procedure: str = Field(min_length=1, description="Unit procedure the step belongs to, e.g. 'Expansion'")
    equipment_id: Identifier = Field(description="Unit the step runs on, e.g. BR-101")
    parameters: tuple[ProcessParameter, ...] = Field(default=(), description="Parameters of the step")


class UnitProcedure(CanonicalModel):
    """The operations executed on one unit (e.g. a bioreactor)."""

    name: str = Field(min_length=1, description="Unit procedure name, e.g. 'Expansion'")
    unit_class: str = Field(min_length=1, description="Equipment class of the unit, e.g. 'bioreactor_rocking'")
    operations: tuple[Operation, ...] = Field(min_length=1, description="Operations in execution order")


class MasterRecipe(CanonicalModel):
    """Product-specific, equipment-class-level recipe from which control recipes are made."""

    recipe_id: Identifier = Field(description="Master recipe id, e.g. MR-CART-CD19")
    version: int = Field(ge=1, description="Approved version number of the recipe")
    product: Identifier = Field(description="Product code the recipe makes")
    description: str | None = Field(default=None, description="Purpose or scope of the recipe")
    unit_procedures: tuple[UnitProcedure, ...] = Field(min_length=1, description="Unit procedures in order")
