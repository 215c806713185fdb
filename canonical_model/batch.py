"""Batches (ISA-88 control recipe executions) and the state of their phases as the DCS sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from canonical_model.base import CanonicalModel, Identifier, Quantity, UtcDateTime
from canonical_model.batch_state import TERMINAL_STATES, BatchState, transition

PhaseState = Literal[
    "idle", "running", "holding", "held", "restarting", "complete", "stopping", "stopped", "aborting", "aborted"
]
"""ISA-88 phase states as reported by the DeltaV batch executive (pausing/paused are not used)."""


class Batch(CanonicalModel):
    """One batch of product made from a master recipe; for autologous CAR-T, one patient's batch."""

    batch_id: Identifier = Field(description="Batch id, e.g. CART-2026-0001")
    product: Identifier = Field(description="Product code")
    master_recipe_id: Identifier = Field(description="Master recipe the batch executes")
    master_recipe_version: int = Field(ge=1, description="Version of the master recipe")
    lot_id: Identifier | None = Field(default=None, description="Output lot the batch produces, once assigned")
    production_order_id: Identifier | None = Field(default=None, description="ERP production order")
    chain_of_identity: str | None = Field(
        default=None, min_length=1, description="Chain-of-identity id linking patient, apheresis and batch"
    )
    planned_quantity: Quantity | None = Field(default=None, description="Planned output quantity")
    state: BatchState = Field(description="Lifecycle state")
    created_at: UtcDateTime = Field(description="When the batch record was created")
    started_at: UtcDateTime | None = Field(default=None, description="When execution started")
    ended_at: UtcDateTime | None = Field(default=None, description="When the batch completed or was aborted")

    def with_state(self, target: BatchState | str, *, at: datetime | None = None) -> Batch:
        """A copy in `target` state; raises `InvalidBatchTransition` if the lifecycle forbids it."""
        new_state = transition(self.state, target)
        changes: dict[str, object] = {"state": new_state}
        if at is not None and new_state is BatchState.RUNNING and self.started_at is None:
            changes["started_at"] = at
        if at is not None and new_state in TERMINAL_STATES:
            changes["ended_at"] = at
        return Batch.model_validate({**self.model_dump(), **changes})


class BatchPhase(CanonicalModel):
    """The state of one phase of a batch on one unit at one moment."""

    batch_id: Identifier = Field(description="Batch the phase belongs to")
    unit_id: Identifier = Field(description="Unit (equipment id) running the phase, e.g. BR-101")
    phase: str = Field(min_length=1, description="Phase name, e.g. 'EXPAND'")
    state: PhaseState = Field(description="ISA-88 phase state")
    previous_state: PhaseState | None = Field(default=None, description="State before this change, if known")
    changed_at: UtcDateTime = Field(description="When the phase entered `state` (DCS time)")
