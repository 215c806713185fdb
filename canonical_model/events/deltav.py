"""Events from the DeltaV DCS: process data, alarms, phase states and set point changes."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from canonical_model.base import Identifier, Quantity, SourceSystem, UtcDateTime
from canonical_model.batch import BatchPhase
from canonical_model.messages import Event
from canonical_model.process_value import Alarm, AlarmState, ProcessValue


class _DeltaVEvent(Event):
    SYSTEM: ClassVar[SourceSystem] = "deltav"


class ProcessValueRecorded(_DeltaVEvent):
    """A tag value was historised (sent on change or on a deadband, not for every scan)."""

    NAME: ClassVar[str] = "process_value_recorded"
    value: ProcessValue = Field(description="The recorded value")
    batch_id: Identifier | None = Field(default=None, description="Batch running on the equipment, if any")


class _AlarmEvent(_DeltaVEvent):
    EXPECTED_STATE: ClassVar[AlarmState]
    alarm: Alarm = Field(description="The alarm in its new state")

    @model_validator(mode="after")
    def _state_matches_event(self) -> _AlarmEvent:
        if self.alarm.state != self.EXPECTED_STATE:
            raise ValueError(f"alarm.state: must be {self.EXPECTED_STATE!r} for {type(self).__name__}")
        return self


class AlarmRaised(_AlarmEvent):
    """An alarm became active."""

    NAME: ClassVar[str] = "alarm_raised"
    EXPECTED_STATE: ClassVar[AlarmState] = "active"


class AlarmAcknowledged(_AlarmEvent):
    """An operator acknowledged an alarm that is still active."""

    NAME: ClassVar[str] = "alarm_acknowledged"
    EXPECTED_STATE: ClassVar[AlarmState] = "acknowledged"
    acknowledged_by: Identifier = Field(description="User id of the operator who acknowledged")
    comment: str | None = Field(default=None, min_length=1, description="Operator comment")


class AlarmCleared(_AlarmEvent):
    """The alarm condition returned to normal."""

    NAME: ClassVar[str] = "alarm_cleared"
    EXPECTED_STATE: ClassVar[AlarmState] = "cleared"


class BatchPhaseChanged(_DeltaVEvent):
    """A batch phase changed state on a unit."""

    NAME: ClassVar[str] = "batch_phase_changed"
    phase: BatchPhase = Field(description="The phase in its new state")


class SetpointChanged(_DeltaVEvent):
    """A set point was changed, by an operator, a recipe or a gxplink command."""

    NAME: ClassVar[str] = "setpoint_changed"
    tag: str = Field(min_length=1, max_length=200, description="Set point tag, e.g. 'BR-101/TIC-101/SP'")
    equipment_id: Identifier = Field(description="Equipment the set point belongs to")
    batch_id: Identifier | None = Field(default=None, description="Batch running on the equipment, if any")
    previous: Quantity | None = Field(default=None, description="Set point before the change, if known")
    set_point: Quantity = Field(description="New set point")
    changed_by: Identifier | None = Field(default=None, description="User or service that changed it")
    reason: str | None = Field(default=None, min_length=1, description="Reason entered with the change")
    changed_at: UtcDateTime = Field(description="When the DCS applied the change")

    @model_validator(mode="after")
    def _same_unit(self) -> SetpointChanged:
        if self.previous is not None and self.previous.unit != self.set_point.unit:
            raise ValueError("previous.unit: must equal set_point.unit")
        return self
