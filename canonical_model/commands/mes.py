"""Commands to the MES: hold and resume batches, record QC summaries, attach references, provision recipes."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from canonical_model.base import Identifier, Quantity, SourceSystem, SystemName
from canonical_model.messages import Command
from canonical_model.process_definition import BomLine
from canonical_model.recipe import MasterRecipe
from canonical_model.test_result import TestResult


class _MesCommand(Command):
    SYSTEM: ClassVar[SourceSystem] = "mes"


class HoldBatch(_MesCommand):
    """Put a running batch on hold (e.g. a deviation was opened against it)."""

    NAME: ClassVar[str] = "hold_batch"
    batch_id: Identifier = Field(description="Batch to hold")
    reason: str = Field(min_length=1, description="Why the batch is held")
    deviation_id: Identifier | None = Field(default=None, description="Deviation that caused the hold")


class ResumeBatch(_MesCommand):
    """Resume a held batch."""

    NAME: ClassVar[str] = "resume_batch"
    batch_id: Identifier = Field(description="Batch to resume")
    reason: str = Field(min_length=1, description="Why it is safe to resume")


class RecordQcSummary(_MesCommand):
    """Record the QC results of a batch in its electronic batch record, for batch record review."""

    NAME: ClassVar[str] = "record_qc_summary"
    batch_id: Identifier = Field(description="Batch the results belong to")
    lot_id: Identifier | None = Field(default=None, description="Lot tested")
    results: tuple[TestResult, ...] = Field(min_length=1, description="Final or corrected results")
    all_within_specification: bool = Field(description="True if no result is out of specification")

    @model_validator(mode="after")
    def _consistent(self) -> RecordQcSummary:
        if any(r.status in ("preliminary", "cancelled") for r in self.results):
            raise ValueError("results: only final or corrected results belong in a QC summary")
        if self.all_within_specification == any(r.out_of_specification for r in self.results):
            raise ValueError("all_within_specification: must be False exactly when a result is OOS")
        return self


class AttachExternalReference(_MesCommand):
    """Attach a reference to a record in another system (deviation, LIMS order...) to a batch."""

    NAME: ClassVar[str] = "attach_external_reference"
    batch_id: Identifier = Field(description="Batch to attach the reference to")
    system: SystemName = Field(description="System holding the referenced record")
    reference_type: Literal[
        "deviation", "capa", "change_control", "test_order", "test_result", "lot", "production_order"
    ] = Field(description="Type of the referenced record")
    reference_id: Identifier = Field(description="Id of the referenced record")
    url: str | None = Field(default=None, min_length=1, description="Link to open the record, if any")


class ProvisionMasterRecipe(_MesCommand):
    """Create the master batch record of a transferred master recipe, its phases bound to this site's units.

    ISA-88 master recipes name equipment classes; a master batch record names the units a step runs on,
    so every class the recipe uses (unit procedures and phases) must be bound. The MES keeps its own
    record versions: the same recipe sent again is recognised, a changed one becomes a new version.
    """

    NAME: ClassVar[str] = "provision_master_recipe"
    transfer_id: Identifier = Field(description="Tech transfer the recipe comes with")
    master_recipe: MasterRecipe = Field(description="The approved master recipe, in this site's codes")
    equipment_binding: dict[str, Identifier] = Field(
        min_length=1, description="Equipment class -> unit of this site, e.g. {'bioreactor': 'BR-101'}")
    planned_quantity: Quantity | None = Field(default=None, description="Planned output of one batch")
    bill_of_materials: tuple[BomLine, ...] = Field(default=(), description="Components per batch, in site codes")

    @model_validator(mode="after")
    def _every_class_bound(self) -> ProvisionMasterRecipe:
        used = {up.unit_class for up in self.master_recipe.unit_procedures} | {
            phase.equipment_class for up in self.master_recipe.unit_procedures for op in up.operations
            for phase in op.phases if phase.equipment_class is not None}
        if unbound := sorted(used - set(self.equipment_binding)):
            raise ValueError(f"equipment_binding: no unit for equipment class(es) {', '.join(unbound)}")
        if self.planned_quantity is not None and self.planned_quantity.value <= 0:
            raise ValueError("planned_quantity: must be > 0")
        return self
