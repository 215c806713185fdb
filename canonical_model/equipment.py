"""Equipment in the ISA-88 physical model (site > area > process cell > unit > modules).

DeltaV tags and alarms refer to equipment by id; the hierarchy lets a deviation on a unit be
found from an alarm raised on one of its control modules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier

EquipmentLevel = Literal["site", "area", "process_cell", "unit", "equipment_module", "control_module"]


class Equipment(CanonicalModel):
    """One node of the physical hierarchy, e.g. bioreactor BR-101 (a unit)."""

    equipment_id: Identifier = Field(description="Equipment id as used in the DCS, e.g. BR-101")
    name: str = Field(min_length=1, description="Human-readable name")
    equipment_class: str = Field(min_length=1, description="Class used by recipes, e.g. 'bioreactor_rocking'")
    level: EquipmentLevel = Field(description="ISA-88 physical model level")
    parent_id: Identifier | None = Field(default=None, description="Parent node; only a site has none")

    @model_validator(mode="after")
    def _only_sites_are_roots(self) -> Equipment:
        if self.parent_id is None and self.level != "site":
            raise ValueError(f"parent_id: required for level {self.level!r} (only a site has no parent)")
        return self
