"""Commands to the LIMS: place and cancel test orders, provision specifications and test methods."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from canonical_model.base import Identifier, SourceSystem
from canonical_model.messages import Command
from canonical_model.process_definition import AnalyticalMethod
from canonical_model.sample import Priority, SampleType
from canonical_model.specification import Specification


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


class ProvisionSpecifications(_LimsCommand):
    """Define specifications (acceptance limits per test) and the test methods behind them in the LIMS.

    An analyte is one LIMS test code, so each analyte may be reported by one method only: two methods
    for one test would leave the LIMS unable to say which one a result came from.
    """

    NAME: ClassVar[str] = "provision_specifications"
    transfer_id: Identifier = Field(description="Tech transfer the specifications come with")
    specifications: tuple[Specification, ...] = Field(min_length=1, description="Approved specifications")
    analytical_methods: tuple[AnalyticalMethod, ...] = Field(default=(), description="Methods reporting the analytes")

    @model_validator(mode="after")
    def _unambiguous(self) -> ProvisionSpecifications:
        specs = [(s.spec_id, s.version) for s in self.specifications]
        if len(set(specs)) != len(specs):
            raise ValueError("specifications: a spec id and version may appear once")
        methods = [m.method_id for m in self.analytical_methods]
        if len(set(methods)) != len(methods):
            raise ValueError("analytical_methods: method ids must be unique")
        owner: dict[str, str] = {}
        for method in self.analytical_methods:
            for analyte in method.analytes:
                if owner.setdefault(analyte, method.method_id) != method.method_id:
                    raise ValueError(f"analytical_methods: {analyte!r} is reported by {owner[analyte]} and "
                                     f"{method.method_id}")
        return self
