"""The shapes of library files: canonical types wrapped with an id, a title and a `kind`.

Files hold canonical model types (UnitProcedure, AnalyticalMethod, SpecLimit, Material, BomLine,
SamplingPoint) unchanged, so a file that validates here composes into a valid ProcessDefinition;
only references (by `id`) and a specification's `panel` are library notions.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from canonical_model.base import Identifier, Quantity
from canonical_model.material import Material
from canonical_model.process_definition import AnalyticalMethod, BomLine, SamplingPoint
from canonical_model.recipe import UnitProcedure
from canonical_model.specification import SpecLimit

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Library id; equals the file name")]


class LibraryFile(BaseModel):
    """Fields every library file has; unknown fields are refused so typos surface."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Slug
    title: str = Field(min_length=1)
    description: str | None = None


class UnitOperation(LibraryFile):
    """A reusable ISA-88 unit procedure, e.g. expansion in a rocking-motion bioreactor."""

    kind: Literal["unit_operation"]
    unit_procedure: UnitProcedure


class QcPanel(LibraryFile):
    """Analytical methods and the acceptance limits a product specification takes from them."""

    kind: Literal["qc_panel"]
    analytical_methods: tuple[AnalyticalMethod, ...] = Field(min_length=1)
    limits: tuple[SpecLimit, ...] = Field(min_length=1)


class SpecificationEntry(BaseModel):
    """A specification of a process: its own limits, or those of a QC panel (`panel`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec_id: Identifier
    version: int = Field(ge=1)
    product: Identifier | None = Field(default=None, description="Defaults to the process product")
    material_id: Identifier | None = None
    panel: Slug | None = None
    limits: tuple[SpecLimit, ...] = ()

    @model_validator(mode="after")
    def _one_source_of_limits(self) -> SpecificationEntry:
        if (self.panel is None) == (not self.limits):
            raise ValueError("give either panel or limits, not both and not neither")
        return self


class RecipeHeader(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    recipe_id: Identifier
    version: int = Field(ge=1)
    description: str | None = None


class ProcessTemplate(LibraryFile):
    """A process: unit operations by id plus what the recipe alone does not say."""

    kind: Literal["process"]
    definition_id: Identifier
    version: int = Field(ge=1)
    product: Identifier
    recipe: RecipeHeader
    batch_size: Quantity | None = None
    unit_operations: tuple[Slug, ...] = Field(min_length=1)
    materials: tuple[Material, ...] = ()
    bom: tuple[BomLine, ...] = ()
    equipment_classes: tuple[str, ...] = ()
    qc_panels: tuple[Slug, ...] = ()
    analytical_methods: tuple[AnalyticalMethod, ...] = ()
    specifications: tuple[SpecificationEntry, ...] = ()
    sampling_plan: tuple[SamplingPoint, ...] = ()
