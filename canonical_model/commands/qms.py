"""Commands to the QMS: open deviations with their context, move them, link CAPAs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from canonical_model.base import Identifier, SourceSystem, TimeWindow, UtcDateTime
from canonical_model.messages import Command
from canonical_model.quality import DeviationClassification, DeviationStatus


class _QmsCommand(Command):
    SYSTEM: ClassVar[SourceSystem] = "qms"


class OpenDeviation(_QmsCommand):
    """Open a deviation with the context that triggered it (e.g. a CPP excursion on BR-101)."""

    NAME: ClassVar[str] = "open_deviation"
    title: str = Field(min_length=1, max_length=200, description="Short title")
    description: str = Field(min_length=1, description="What happened")
    classification: DeviationClassification = Field(description="Proposed classification")
    initiator: Identifier = Field(description="User or service opening it")
    batch_id: Identifier | None = Field(default=None, description="Affected batch")
    lot_id: Identifier | None = Field(default=None, description="Affected lot")
    equipment_id: Identifier | None = Field(default=None, description="Equipment involved")
    triggering_event_id: str | None = Field(default=None, min_length=1, description="Message id that triggered it")
    triggering_event_time: UtcDateTime | None = Field(default=None, description="When the trigger happened")
    time_window: TimeWindow | None = Field(default=None, description="Period of process data concerned")

    @model_validator(mode="after")
    def _trigger_in_window(self) -> OpenDeviation:
        t, w = self.triggering_event_time, self.time_window
        if t is not None and w is not None and not w.start <= t <= w.end:
            raise ValueError("triggering_event_time: must lie within time_window")
        return self


class ChangeDeviationStatus(_QmsCommand):
    """Move a deviation to another status; the QMS enforces its own workflow."""

    NAME: ClassVar[str] = "change_deviation_status"
    deviation_id: Identifier = Field(description="Deviation number")
    status: DeviationStatus = Field(description="Requested status")
    reason: str = Field(min_length=1, description="Why the status changes")


class LinkCapa(_QmsCommand):
    """Link a CAPA to a deviation, investigation or change control."""

    NAME: ClassVar[str] = "link_capa"
    capa_id: Identifier = Field(description="CAPA number")
    record_type: Literal["deviation", "investigation", "change_control"] = Field(description="Record to link")
    record_id: Identifier = Field(description="Id of the record to link")
