"""Events from the MES: batch lifecycle, executed steps, consumption, samples and sign-offs."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from canonical_model.base import Identifier, Quantity, SourceSystem, UtcDateTime
from canonical_model.batch import Batch
from canonical_model.batch_state import BatchState, can_transition
from canonical_model.events._status import StatusChangeFields
from canonical_model.messages import Event
from canonical_model.recipe import RecipeStep
from canonical_model.sample import Sample
from canonical_model.signature import ElectronicSignature


class _MesEvent(Event):
    SYSTEM: ClassVar[SourceSystem] = "mes"


class BatchCreated(_MesEvent):
    """A batch record was created in the MES."""

    NAME: ClassVar[str] = "batch_created"
    batch: Batch = Field(description="The new batch")


class MasterRecipeApproved(_MesEvent):
    """A master batch record (the recipe as the MES executes it) is approved for use, with its parameter ranges."""

    NAME: ClassVar[str] = "master_recipe_approved"
    recipe_id: Identifier = Field(description="Master recipe (master batch record) id")
    version: int = Field(ge=1, description="Approved version")
    product: Identifier = Field(description="Product code the recipe makes")
    steps: tuple[RecipeStep, ...] = Field(min_length=1, description="Steps in execution order")


class BatchStateChanged(_MesEvent, StatusChangeFields):
    """A batch moved through its lifecycle; only transitions the lifecycle allows are valid."""

    NAME: ClassVar[str] = "batch_state_changed"
    batch_id: Identifier = Field(description="Batch id")
    previous_state: BatchState = Field(description="State before the change")
    state: BatchState = Field(description="New state")

    @model_validator(mode="after")
    def _allowed(self) -> BatchStateChanged:
        if not can_transition(self.previous_state, self.state):
            raise ValueError(f"state: transition {self.previous_state.value!r} -> {self.state.value!r} not allowed")
        return self


class BatchStepCompleted(_MesEvent):
    """An executed recipe step (operation or phase) was completed in the electronic batch record."""

    NAME: ClassVar[str] = "batch_step_completed"
    batch_id: Identifier = Field(description="Batch id")
    step: str = Field(min_length=1, description="Step path, e.g. 'Expansion/Feed/FEED_DAY5'")
    unit_id: Identifier | None = Field(default=None, description="Unit the step ran on")
    completed_by: Identifier | None = Field(default=None, description="Operator who completed it")
    completed_at: UtcDateTime = Field(description="When the step was completed")


class MaterialConsumed(_MesEvent):
    """Material of a lot was dispensed into a batch."""

    NAME: ClassVar[str] = "material_consumed"
    batch_id: Identifier = Field(description="Consuming batch")
    lot_id: Identifier = Field(description="Consumed lot")
    material_id: Identifier = Field(description="Material of the lot")
    quantity: Quantity = Field(description="Consumed quantity; > 0")
    step: str | None = Field(default=None, min_length=1, description="Step that consumed it")
    consumed_by: Identifier | None = Field(default=None, description="Operator who dispensed it")
    consumed_at: UtcDateTime = Field(description="When it was consumed")

    @model_validator(mode="after")
    def _positive(self) -> MaterialConsumed:
        if self.quantity.value <= 0:
            raise ValueError("quantity: must be > 0")
        return self


class SamplePulled(_MesEvent):
    """An operator pulled a sample from a batch."""

    NAME: ClassVar[str] = "sample_pulled"
    sample: Sample = Field(description="The pulled sample")
    requested_tests: tuple[str, ...] = Field(
        default=(), description="Tests the batch record asks for on this sample (canonical analyte codes)"
    )


class StepSignedOff(_MesEvent):
    """A batch record step was signed (performed/verified) with an electronic signature."""

    NAME: ClassVar[str] = "step_signed_off"
    batch_id: Identifier = Field(description="Batch id")
    step: str = Field(min_length=1, description="Step path that was signed")
    signature: ElectronicSignature = Field(description="The signature")
