"""The process definition package: everything a site needs to run a product (tech transfer).

The MES, LIMS and ERP each hold a part of it (recipe, methods and specs, BOM); gxplink publishes
the package as one versioned, optionally hashed unit so all three can be checked against it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, Quantity, UtcDateTime
from canonical_model.material import Material
from canonical_model.recipe import MasterRecipe
from canonical_model.specification import Specification

SHA256_HEX = r"^[0-9a-f]{64}$"


class BomLine(CanonicalModel):
    """One component of the bill of materials, per batch."""

    material_id: Identifier = Field(description="Component material")
    quantity: Quantity = Field(description="Quantity per batch")
    scalable: bool = Field(default=True, description="False for fixed amounts (e.g. one vector vial per batch)")


class Bom(CanonicalModel):
    """A versioned bill of materials of a product, as the ERP publishes it."""

    bom_id: Identifier = Field(description="BOM id in the ERP")
    product: Identifier = Field(description="Material id of the product")
    version: int = Field(ge=1, description="BOM version (alternative/revision)")
    lines: tuple[BomLine, ...] = Field(min_length=1, description="Components per batch")
    valid_from: UtcDateTime = Field(description="When the BOM becomes effective")


class AnalyticalMethod(CanonicalModel):
    """A validated test method, referenced by specifications and results."""

    method_id: Identifier = Field(description="Method id, e.g. TM-VCN-ddPCR")
    name: str = Field(min_length=1, description="Method name")
    version: int = Field(ge=1, description="Approved version number")
    analytes: tuple[str, ...] = Field(min_length=1, description="Analytes the method reports")


class SamplingPoint(CanonicalModel):
    """Where and when in the process a sample is pulled, and what is tested on it."""

    step: str = Field(min_length=1, description="Recipe step (operation or phase) at which to sample")
    sample_type: str = Field(min_length=1, description="e.g. 'in_process', 'final_product'")
    tests: tuple[str, ...] = Field(min_length=1, description="Test codes ordered for the sample")
    volume: Quantity | None = Field(default=None, description="Sample volume to pull")


class ProcessDefinition(CanonicalModel):
    """A versioned package of recipe, materials, BOM, equipment, specs, methods and sampling plan."""

    definition_id: Identifier = Field(description="Process definition id, e.g. PD-CART-CD19")
    version: int = Field(ge=1, description="Version of the package")
    product: Identifier = Field(description="Product code")
    status: Literal["draft", "approved", "superseded"] = Field(description="Lifecycle status of the package")
    master_recipe: MasterRecipe = Field(description="The master recipe")
    batch_size: Quantity | None = Field(default=None, description="Nominal output of one batch (ISA-88 batch size)")
    materials: tuple[Material, ...] = Field(default=(), description="Materials used or produced")
    bom: tuple[BomLine, ...] = Field(default=(), description="Bill of materials")
    equipment_classes: tuple[str, ...] = Field(default=(), description="Equipment classes the recipe needs")
    specifications: tuple[Specification, ...] = Field(default=(), description="Release and in-process specs")
    analytical_methods: tuple[AnalyticalMethod, ...] = Field(default=(), description="Methods used by the specs")
    sampling_plan: tuple[SamplingPoint, ...] = Field(default=(), description="Sampling points")
    content_hash: str | None = Field(default=None, pattern=SHA256_HEX, description="sha256 hex of the content")

    @model_validator(mode="after")
    def _bom_uses_known_materials(self) -> ProcessDefinition:
        if self.master_recipe.product != self.product:
            raise ValueError("master_recipe.product: must equal product")
        known = {m.material_id for m in self.materials}
        unknown = sorted({line.material_id for line in self.bom} - known) if known else []
        if unknown:
            raise ValueError(f"bom: materials not in materials: {', '.join(unknown)}")
        return self
