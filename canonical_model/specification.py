"""Release specifications: the acceptance criteria a test result is compared against."""

from __future__ import annotations

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, UcumCode


class SpecLimit(CanonicalModel):
    """Acceptance criterion of one analyte: a numeric range, a text criterion, or both."""

    analyte: str = Field(min_length=1, description="Analyte or test code, e.g. 'VIABILITY'")
    low: float | None = Field(default=None, allow_inf_nan=False, description="Lower limit (inclusive)")
    high: float | None = Field(default=None, allow_inf_nan=False, description="Upper limit (inclusive)")
    unit: UcumCode | None = Field(default=None, description="Unit of the numeric limits")
    text_criterion: str | None = Field(default=None, min_length=1, description="e.g. 'No growth' for sterility")

    @model_validator(mode="after")
    def _is_a_criterion(self) -> SpecLimit:
        numeric = self.low is not None or self.high is not None
        if not numeric and self.text_criterion is None:
            raise ValueError("a limit needs low, high or text_criterion")
        if numeric and self.unit is None:
            raise ValueError("unit: required when low or high is given")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low: must not be greater than high")
        return self


class Specification(CanonicalModel):
    """A versioned set of limits for a product or material."""

    spec_id: Identifier = Field(description="Specification id, e.g. SPEC-CART-CD19-DP")
    product: Identifier | None = Field(default=None, description="Product the spec applies to")
    material_id: Identifier | None = Field(default=None, description="Material the spec applies to")
    version: int = Field(ge=1, description="Approved version number")
    limits: tuple[SpecLimit, ...] = Field(min_length=1, description="Acceptance criteria, one per analyte")

    @model_validator(mode="after")
    def _applies_to_something(self) -> Specification:
        if self.product is None and self.material_id is None:
            raise ValueError("product or material_id: one is required")
        analytes = [limit.analyte for limit in self.limits]
        if len(set(analytes)) != len(analytes):
            raise ValueError("limits: analytes must be unique")
        return self
