"""Samples pulled from a batch and the tests ordered on them (the MES pulls, the LIMS tests)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from canonical_model.base import CanonicalModel, Identifier, Quantity, UtcDateTime

SampleType = Literal["in_process", "final_product", "retain", "environmental", "raw_material", "stability"]
Priority = Literal["routine", "urgent", "stat"]


class Sample(CanonicalModel):
    """A physical sample with its chain of custody start."""

    sample_id: Identifier = Field(description="Sample id (barcode), e.g. S-CART-2026-0001-07")
    batch_id: Identifier | None = Field(default=None, description="Batch the sample was pulled from")
    lot_id: Identifier | None = Field(default=None, description="Lot the sample was pulled from")
    sample_type: SampleType = Field(description="Purpose of the sample")
    step: str | None = Field(default=None, min_length=1, description="Recipe step at which it was pulled")
    volume: Quantity | None = Field(default=None, description="Sampled volume or amount")
    collected_at: UtcDateTime = Field(description="When the sample was pulled")
    collected_by: Identifier = Field(description="User id of who pulled it")


class TestOrder(CanonicalModel):
    """Tests requested on one sample."""

    order_id: Identifier = Field(description="Order id in the LIMS (or the placer's id until accepted)")
    sample_id: Identifier = Field(description="Sample to test")
    batch_id: Identifier | None = Field(default=None, description="Batch, for routing results back")
    tests: tuple[str, ...] = Field(min_length=1, description="Analyte/test codes, e.g. 'VIABILITY', 'VCN'")
    priority: Priority = Field(default="routine", description="routine, urgent or stat")
    ordered_at: UtcDateTime = Field(description="When the order was placed")
    ordered_by: Identifier | None = Field(default=None, description="User or service that placed the order")
