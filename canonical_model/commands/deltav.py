"""Commands to the DeltaV DCS: set points and batch phase control.

Every command that changes the process carries a reason, because the DCS records it in its own
audit trail next to the operator (service) that issued it.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from canonical_model.base import Identifier, Quantity, SourceSystem
from canonical_model.messages import Command


class _DeltaVCommand(Command):
    SYSTEM: ClassVar[SourceSystem] = "deltav"


class ChangeSetpoint(_DeltaVCommand):
    """Write a new set point to a tag."""

    NAME: ClassVar[str] = "change_setpoint"
    tag: str = Field(min_length=1, max_length=200, description="Set point tag, e.g. 'BR-101/TIC-101/SP'")
    equipment_id: Identifier = Field(description="Equipment the set point belongs to")
    set_point: Quantity = Field(description="New set point; the unit must match the tag's engineering unit")
    batch_id: Identifier | None = Field(default=None, description="Batch the change is made for")
    reason: str = Field(min_length=1, description="Why the set point is changed")


class _PhaseCommand(_DeltaVCommand):
    batch_id: Identifier = Field(description="Batch the phase belongs to")
    unit_id: Identifier = Field(description="Unit running the phase, e.g. BR-101")
    phase: str = Field(min_length=1, description="Phase name, e.g. 'EXPAND'")


class StartBatchPhase(_PhaseCommand):
    """Start a phase with its parameters."""

    NAME: ClassVar[str] = "start_batch_phase"
    parameters: dict[str, Quantity] = Field(default_factory=dict, description="Phase parameters by name")


class HoldBatchPhase(_PhaseCommand):
    """Bring a running phase to a safe held state."""

    NAME: ClassVar[str] = "hold_batch_phase"
    reason: str = Field(min_length=1, description="Why the phase is held")


class RestartBatchPhase(_PhaseCommand):
    """Resume a held phase."""

    NAME: ClassVar[str] = "restart_batch_phase"
    reason: str = Field(min_length=1, description="Why it is safe to restart")


class AbortBatchPhase(_PhaseCommand):
    """Abort a phase; the batch cannot continue the phase afterwards."""

    NAME: ClassVar[str] = "abort_batch_phase"
    reason: str = Field(min_length=1, description="Why the phase is aborted")
