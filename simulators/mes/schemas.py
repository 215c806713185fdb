"""Response documents of the MES API, as published in its OpenAPI description."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Problem(Out):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:mes:problem:invalid-transition"])
    title: str
    status: int
    detail: str


class QuantityOut(Out):
    value: float
    unit: str


class Parameter(Out):
    name: str
    sp: float | None = None
    lo: float | None = None
    hi: float | None = None
    unit: str
    class_: str = Field(alias="class", description="CPP, CQA, KPP or non-critical")
    value: float | None = None
    in_range: bool | None = None
    recorded_at: Timestamp | None = None
    recorded_by: str | None = None


class PlannedMaterial(Out):
    material: str
    quantity: float
    unit: str


class PlannedSample(Out):
    type: str
    test_codes: list[str]


class Signature(Out):
    signature_id: str
    user: str
    name: str
    role: str
    meaning: str
    signed_at: Timestamp
    comment: str | None
    record_hash: str = Field(description="sha256 of the step record as signed")


class Step(Out):
    step_id: str
    name: str
    unit_procedure_id: str
    unit_procedure: str
    operation: str | None = None
    equipment_id: str
    critical: bool = Field(description="Has a CPP/CQA parameter: needs a second-person 'verified' signature")
    state: str = Field(description="pending, in_progress or completed")
    parameters: list[Parameter]
    planned_materials: list[PlannedMaterial]
    planned_samples: list[PlannedSample]
    started_at: Timestamp | None
    started_by: str | None
    completed_at: Timestamp | None
    completed_by: str | None
    signoffs: list[Signature]


class ConsumptionOut(Out):
    consumption_id: str
    lot: str
    material: str
    quantity: float
    unit: str
    step_id: str | None
    consumed_by: str
    consumed_at: Timestamp


class SampleOut(Out):
    sample_id: str
    type: str
    test_codes: list[str]
    step_id: str | None
    pulled_by: str
    pulled_at: Timestamp
    quantity: QuantityOut | None
    lot: str


class QcResultOut(Out):
    test_code: str
    sample_id: str | None = None
    value: float | None = None
    text: str | None = None
    unit: str | None = None
    conforms: bool


class QcSummaryOut(Out):
    summary_id: str
    lims_reference: str | None
    results: list[QcResultOut]
    all_conform: bool
    recorded_by: str
    recorded_at: Timestamp


class ExternalReferenceOut(Out):
    reference_id: str
    system: str
    type: str
    reference: str
    description: str | None
    attached_by: str
    attached_at: Timestamp


class StateChange(Out):
    from_: str = Field(alias="from")
    to: str
    action: str
    at: Timestamp
    user: str
    reason: str | None


class Batch(Out):
    batch_id: str
    master_batch_record_id: str
    master_batch_record_version: int
    product: str
    lot: str = Field(description="Drug product lot the batch produces")
    state: str = Field(description="created, released, in_execution, on_hold, completed, aborted or cancelled")
    planned_quantity: QuantityOut
    created_at: Timestamp
    created_by: str
    released_at: Timestamp | None
    started_at: Timestamp | None
    ended_at: Timestamp | None
    hold_reason: str | None
    starting_material_lot: str
    steps: list[Step]
    consumptions: list[ConsumptionOut]
    samples: list[SampleOut]
    qc_summaries: list[QcSummaryOut]
    external_references: list[ExternalReferenceOut]
    state_history: list[StateChange]


class MasterStep(Out):
    step_id: str
    name: str
    unit_procedure_id: str
    unit_procedure: str
    operation: str | None = Field(default=None, description="ISA-88 operation the phase belongs to")
    equipment_id: str
    critical: bool
    parameters: list[dict[str, Any]]
    materials: list[PlannedMaterial]
    samples: list[PlannedSample]


class MasterBatchRecord(Out):
    id: str
    version: int
    status: str = Field(description="approved, or superseded by a later version")
    product: str
    product_name: str
    batch_id_prefix: str
    planned_quantity: QuantityOut | None = Field(description="None: a batch must give its planned quantity")
    bill_of_materials: list[PlannedMaterial]
    steps: list[MasterStep]
    recipe_version: int | None = Field(default=None, description="Version of the recipe it was made from")
    description: str | None = None
    created_at: Timestamp | None = None
    created_by: str | None = None


class Lot(Out):
    id: str
    material: str
    status: str
    quantity: float
    remaining: float
    unit: str
    expiry: str | None = None
    batch_id: str | None = None


class ChangeRecord(Out):
    seq: int = Field(description="Cursor position of this record; strictly increasing")
    type: str = Field(examples=["batch_state_changed"])
    at: Timestamp
    user: str
    batch_id: str | None
    record_type: str
    record_id: str
    data: dict[str, Any]


class ChangePage(Out):
    events: list[ChangeRecord]
    next_cursor: int = Field(description="Pass as `after` to read on")
    has_more: bool


class AuditEntryOut(Out):
    seq: int
    at: Timestamp
    user: str
    action: str
    record_type: str
    record_id: str
    field: str | None
    old: Any
    new: Any
    reason: str | None


class AuditPage(Out):
    entries: list[AuditEntryOut]
    next_cursor: int
