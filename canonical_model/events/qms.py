"""Events from the QMS: deviations, investigations, CAPAs and change controls."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from canonical_model.base import Identifier, SourceSystem, UtcDateTime
from canonical_model.events._status import StatusChangeFields
from canonical_model.messages import Event
from canonical_model.quality import (
    Capa,
    CapaStatus,
    ChangeControl,
    ChangeControlStatus,
    Deviation,
    DeviationStatus,
    Investigation,
)


class _QmsEvent(Event):
    SYSTEM: ClassVar[SourceSystem] = "qms"


class _StatusChanged(_QmsEvent, StatusChangeFields):
    @model_validator(mode="after")
    def _status_changes(self) -> _StatusChanged:
        previous = getattr(self, "previous_status", None)
        if previous is not None and previous == getattr(self, "status", None):
            raise ValueError("status: must differ from previous_status")
        return self


class DeviationOpened(_QmsEvent):
    """A deviation was opened in the QMS (by a person or by a gxplink OpenDeviation command)."""

    NAME: ClassVar[str] = "deviation_opened"
    deviation: Deviation = Field(description="The new deviation")


class DeviationStatusChanged(_StatusChanged):
    """A deviation moved through its workflow."""

    NAME: ClassVar[str] = "deviation_status_changed"
    deviation_id: Identifier = Field(description="Deviation number")
    previous_status: DeviationStatus | None = Field(default=None, description="Status before, if known")
    status: DeviationStatus = Field(description="New status")


class InvestigationOpened(_QmsEvent):
    """A root-cause investigation was opened."""

    NAME: ClassVar[str] = "investigation_opened"
    investigation: Investigation = Field(description="The new investigation")


class CapaOpened(_QmsEvent):
    """A CAPA was opened."""

    NAME: ClassVar[str] = "capa_opened"
    capa: Capa = Field(description="The new CAPA")


class CapaStatusChanged(_StatusChanged):
    """A CAPA moved through its workflow."""

    NAME: ClassVar[str] = "capa_status_changed"
    capa_id: Identifier = Field(description="CAPA number")
    previous_status: CapaStatus | None = Field(default=None, description="Status before, if known")
    status: CapaStatus = Field(description="New status")


class CapaLinked(_QmsEvent):
    """A CAPA was linked to a deviation, investigation or change control."""

    NAME: ClassVar[str] = "capa_linked"
    capa_id: Identifier = Field(description="CAPA number")
    record_type: Literal["deviation", "investigation", "change_control"] = Field(description="Linked record type")
    record_id: Identifier = Field(description="Linked record id")
    linked_by: Identifier | None = Field(default=None, description="User or service that linked them")
    linked_at: UtcDateTime = Field(description="When the link was made")


class ChangeControlOpened(_QmsEvent):
    """A change control was opened."""

    NAME: ClassVar[str] = "change_control_opened"
    change_control: ChangeControl = Field(description="The new change control")


class ChangeControlStatusChanged(_StatusChanged):
    """A change control moved through its workflow."""

    NAME: ClassVar[str] = "change_control_status_changed"
    change_control_id: Identifier = Field(description="Change control number")
    previous_status: ChangeControlStatus | None = Field(default=None, description="Status before, if known")
    status: ChangeControlStatus = Field(description="New status")
