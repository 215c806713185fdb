"""Commands to the LIMS: place and cancel test orders."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from canonical_model.base import Identifier, SourceSystem
from canonical_model.messages import Command
from canonical_model.sample import Priority, SampleType


class _LimsCommand(Command):
    SYSTEM: ClassVar[SourceSystem] = "lims"


class PlaceTestOrder(_LimsCommand):
    """Order tests on a sample; the LIMS answers with TestOrderAccepted."""

    NAME: ClassVar[str] = "place_test_order"
    placer_order_id: Identifier = Field(description="Placer's order id (idempotency key in the LIMS)")
    sample_id: Identifier = Field(description="Sample to test")
    sample_type: SampleType = Field(description="Purpose of the sample")
    batch_id: Identifier | None = Field(default=None, description="Batch the sample came from")
    lot_id: Identifier | None = Field(default=None, description="Lot the sample came from")
    tests: tuple[str, ...] = Field(min_length=1, description="Test codes, e.g. 'VIABILITY', 'ENDOTOXIN'")
    priority: Priority = Field(default="routine", description="routine, urgent or stat")


class CancelTestOrder(_LimsCommand):
    """Cancel an order whose tests have not been performed."""

    NAME: ClassVar[str] = "cancel_test_order"
    order_id: Identifier = Field(description="Order id (LIMS id, or placer id if not yet accepted)")
    reason: str = Field(min_length=1, description="Why the order is cancelled")
