"""Audit trail records: who did what, when, where and why (21 CFR 11.10(e), EU GMP Annex 11 §9).

The record only carries hash values as hex strings; computing the hash chain is the audit
store's job, so this model stays free of any storage or canonicalisation rule.
"""

from __future__ import annotations

from pydantic import Field, JsonValue, model_validator

from canonical_model.base import CanonicalModel, Identifier, SourceSystem, UtcDateTime

SHA256_HEX = r"^[0-9a-f]{64}$"


class FieldChange(CanonicalModel):
    """Old and new value of one field; None means absent (created or deleted)."""

    field: str = Field(min_length=1, description="Dotted path of the changed field, e.g. 'status'")
    old: JsonValue = Field(default=None, description="Value before the change")
    new: JsonValue = Field(default=None, description="Value after the change")


class AuditCorrelation(CanonicalModel):
    """The business records an audited action touches, for queries across systems."""

    batch_id: Identifier | None = Field(default=None, description="Batch concerned")
    lot_id: Identifier | None = Field(default=None, description="Lot concerned")
    sample_id: Identifier | None = Field(default=None, description="Sample concerned")
    deviation_id: Identifier | None = Field(default=None, description="Deviation concerned")
    transfer_id: Identifier | None = Field(default=None, description="Tech transfer concerned")
    correlation_id: str | None = Field(default=None, min_length=1, description="Envelope correlation id")
    causation_id: str | None = Field(default=None, min_length=1, description="Id of the causing message")
    trace_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$", description="W3C trace id")


class AuditRecord(CanonicalModel):
    """One entry of the audit trail, chained to the previous entry by hash."""

    record_id: Identifier = Field(description="Audit record id")
    # who
    user_id: Identifier | None = Field(default=None, description="Person who acted, if a person did")
    service_id: Identifier | None = Field(default=None, description="Service that acted or relayed")
    source_user: str | None = Field(default=None, min_length=1, description="User id as the source system knows it")
    # when
    source_time: UtcDateTime = Field(description="When the action happened in the source system")
    received_time: UtcDateTime = Field(description="When gxplink received it")
    clock_offset_seconds: float | None = Field(
        default=None, allow_inf_nan=False, description="Measured source clock offset from gxplink's clock"
    )
    # what
    action: str = Field(min_length=1, description="What was done, e.g. 'create', 'update', 'sign', 'release'")
    target_type: str = Field(min_length=1, description="Type of the record acted on, e.g. 'material_lot'")
    target_id: Identifier = Field(description="Id of the record acted on (record_id is this entry's own id)")
    changes: tuple[FieldChange, ...] = Field(default=(), description="Field-level changes")
    # why
    reason: str | None = Field(default=None, min_length=1, description="Reason for the change, if required")
    # where
    source_system: SourceSystem = Field(description="System where the action happened")
    adapter: str | None = Field(default=None, min_length=1, description="Adapter that relayed it")
    message_id: str | None = Field(default=None, min_length=1, description="Envelope id of the message")
    mapping_version: str | None = Field(default=None, min_length=1, description="Version of the mapping used")
    correlation: AuditCorrelation = Field(default_factory=AuditCorrelation, description="Related records")
    # chain
    previous_hash: str | None = Field(default=None, pattern=SHA256_HEX, description="Hash of the previous record")
    hash: str | None = Field(default=None, pattern=SHA256_HEX, description="Hash of this record")

    @model_validator(mode="after")
    def _someone_acted(self) -> AuditRecord:
        if self.user_id is None and self.service_id is None and self.source_user is None:
            raise ValueError("user_id, service_id or source_user: at least one is required (who acted)")
        return self
