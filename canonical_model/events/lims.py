"""Events from the LIMS: samples received, orders accepted, results recorded and corrected."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from canonical_model.base import Identifier, SourceSystem, UtcDateTime
from canonical_model.messages import Event
from canonical_model.sample import Sample, TestOrder
from canonical_model.test_result import TestResult


class _LimsEvent(Event):
    SYSTEM: ClassVar[SourceSystem] = "lims"


class SampleReceived(_LimsEvent):
    """The lab logged a sample in (chain of custody moves to the lab)."""

    NAME: ClassVar[str] = "sample_received"
    sample: Sample = Field(description="The received sample")
    received_at: UtcDateTime = Field(description="When the lab received it")
    received_by: Identifier | None = Field(default=None, description="Lab user who logged it in")

    @model_validator(mode="after")
    def _received_after_collection(self) -> SampleReceived:
        if self.received_at < self.sample.collected_at:
            raise ValueError("received_at: must not be before sample.collected_at")
        return self


class TestOrderAccepted(_LimsEvent):
    """The LIMS accepted a test order and assigned its own order id."""

    NAME: ClassVar[str] = "test_order_accepted"
    order: TestOrder = Field(description="The order as accepted (order_id is the LIMS id)")
    placer_order_id: Identifier | None = Field(default=None, description="Id the placer used (PlaceTestOrder)")


class TestResultRecorded(_LimsEvent):
    """A result was entered or released in the LIMS (preliminary, final or cancelled)."""

    NAME: ClassVar[str] = "test_result_recorded"
    result: TestResult = Field(description="The result")

    @model_validator(mode="after")
    def _not_a_correction(self) -> TestResultRecorded:
        if self.result.status == "corrected":
            raise ValueError("result.status: a corrected result travels as TestResultCorrected")
        return self


class TestResultCorrected(_LimsEvent):
    """A released result was corrected; the result names the one it replaces and why."""

    NAME: ClassVar[str] = "test_result_corrected"
    result: TestResult = Field(description="The correcting result (status 'corrected')")

    @model_validator(mode="after")
    def _is_a_correction(self) -> TestResultCorrected:
        if self.result.status != "corrected":
            raise ValueError("result.status: must be 'corrected'")
        return self
