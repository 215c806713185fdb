"""Quality records owned by the QMS: deviations, investigations, CAPAs and change controls.

Links between them are id lists, not embedded records: each record has its own lifecycle in the
QMS, and a message must not carry a stale copy of another record.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from canonical_model.base import CanonicalModel, Identifier, TimeWindow, UtcDateTime

DeviationClassification = Literal["minor", "major", "critical"]
DeviationStatus = Literal["open", "under_investigation", "pending_capa", "closed", "cancelled"]
InvestigationStatus = Literal["open", "in_progress", "completed", "cancelled"]
CapaKind = Literal["corrective", "preventive"]
CapaStatus = Literal["open", "in_progress", "effectiveness_check", "closed", "cancelled"]
ChangeControlStatus = Literal["draft", "under_review", "approved", "implemented", "closed", "rejected", "cancelled"]


class _QualityRecord(CanonicalModel):
    """Dates every quality record has; closing or due dates cannot precede opening."""

    owner: Identifier = Field(description="User id of the record owner")
    opened_at: UtcDateTime = Field(description="When the record was opened")
    due_at: UtcDateTime | None = Field(default=None, description="Due date for closure")
    closed_at: UtcDateTime | None = Field(default=None, description="When the record was closed or cancelled")

    @model_validator(mode="after")
    def _dates_in_order(self) -> _QualityRecord:
        for name in ("due_at", "closed_at"):
            value = getattr(self, name)
            if value is not None and value < self.opened_at:
                raise ValueError(f"{name}: must not be before opened_at")
        return self


class Deviation(_QualityRecord):
    """An unplanned departure from an approved instruction or specification."""

    deviation_id: Identifier = Field(description="Deviation number in the QMS, e.g. DEV-2026-0042")
    title: str = Field(min_length=1, max_length=200, description="Short title")
    description: str = Field(min_length=1, description="What happened, as known when opened")
    classification: DeviationClassification = Field(description="Impact: minor, major or critical")
    status: DeviationStatus = Field(description="Lifecycle status in the QMS")
    batch_id: Identifier | None = Field(default=None, description="Affected batch")
    lot_id: Identifier | None = Field(default=None, description="Affected lot")
    equipment_id: Identifier | None = Field(default=None, description="Equipment involved")
    opened_by: Identifier = Field(description="User or service that opened the deviation")
    triggering_event_id: str | None = Field(default=None, min_length=1, description="Message id that triggered it")
    time_window: TimeWindow | None = Field(default=None, description="Period of process data concerned")
    investigation_ids: tuple[Identifier, ...] = Field(default=(), description="Linked investigations")
    capa_ids: tuple[Identifier, ...] = Field(default=(), description="Linked CAPAs")


class Investigation(_QualityRecord):
    """Root-cause investigation of a deviation (or an OOS result)."""

    investigation_id: Identifier = Field(description="Investigation number in the QMS")
    deviation_id: Identifier = Field(description="Deviation investigated")
    status: InvestigationStatus = Field(description="Lifecycle status in the QMS")
    root_cause: str | None = Field(default=None, min_length=1, description="Root cause, once determined")
    result_ids: tuple[Identifier, ...] = Field(default=(), description="Test results investigated (OOS)")

    @model_validator(mode="after")
    def _completed_has_root_cause(self) -> Investigation:
        if self.status == "completed" and self.root_cause is None:
            raise ValueError("root_cause: required when status is 'completed'")
        return self


class Capa(_QualityRecord):
    """A corrective or preventive action (CAPA) with its links."""

    capa_id: Identifier = Field(description="CAPA number in the QMS, e.g. CAPA-2026-0007")
    title: str = Field(min_length=1, max_length=200, description="Short title")
    kind: CapaKind = Field(description="corrective or preventive")
    status: CapaStatus = Field(description="Lifecycle status in the QMS")
    deviation_ids: tuple[Identifier, ...] = Field(default=(), description="Deviations the CAPA addresses")
    change_control_ids: tuple[Identifier, ...] = Field(default=(), description="Change controls implementing it")


class ChangeControl(_QualityRecord):
    """A controlled change to a process, method, specification, equipment or document."""

    change_control_id: Identifier = Field(description="Change control number in the QMS, e.g. CC-2026-0011")
    title: str = Field(min_length=1, max_length=200, description="Short title")
    description: str = Field(min_length=1, description="What changes and why")
    status: ChangeControlStatus = Field(description="Lifecycle status in the QMS")
    affected_items: tuple[str, ...] = Field(default=(), description="Ids of affected items, e.g. PD-CART-CD19")
    capa_ids: tuple[Identifier, ...] = Field(default=(), description="CAPAs the change implements")
    deviation_ids: tuple[Identifier, ...] = Field(default=(), description="Deviations that prompted it")
