"""Events gxplink itself publishes: workflow progress, signatures, process definitions, audit records."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, JsonValue

from canonical_model.audit import AuditRecord
from canonical_model.base import Identifier, SourceSystem, UtcDateTime
from canonical_model.messages import Event
from canonical_model.process_definition import ProcessDefinition
from canonical_model.signature import ElectronicSignature

ErrorClass = Literal["retryable", "permanent"]


class _GxplinkEvent(Event):
    SYSTEM: ClassVar[SourceSystem] = "gxplink"


class _WorkflowEvent(_GxplinkEvent):
    workflow_id: Identifier = Field(description="Workflow instance id")
    workflow_type: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Workflow name, e.g. 'lot_release'")
    workflow_version: int = Field(default=1, ge=1, description="Version of the workflow definition")


class WorkflowStarted(_WorkflowEvent):
    """A workflow instance started."""

    NAME: ClassVar[str] = "workflow_started"
    business_key: str = Field(min_length=1, description="Business reference, e.g. the batch or lot id")
    started_at: UtcDateTime = Field(description="When it started")
    input: dict[str, JsonValue] = Field(default_factory=dict, description="Workflow input")


class WorkflowStepCompleted(_WorkflowEvent):
    """A workflow step completed (possibly after retries)."""

    NAME: ClassVar[str] = "workflow_step_completed"
    step: str = Field(min_length=1, description="Step name")
    attempt: int = Field(default=1, ge=1, description="Attempt that succeeded")
    completed_at: UtcDateTime = Field(description="When the step completed")
    output: dict[str, JsonValue] = Field(default_factory=dict, description="Step output")


class WorkflowCompleted(_WorkflowEvent):
    """A workflow instance finished successfully."""

    NAME: ClassVar[str] = "workflow_completed"
    completed_at: UtcDateTime = Field(description="When it finished")
    outcome: str | None = Field(default=None, min_length=1, description="Business outcome, e.g. 'released'")


class WorkflowFailed(_WorkflowEvent):
    """A workflow instance failed and will not continue (after compensation, if any)."""

    NAME: ClassVar[str] = "workflow_failed"
    step: str | None = Field(default=None, min_length=1, description="Step that failed")
    error_class: ErrorClass = Field(description="retryable (gave up after retries) or permanent")
    error: str = Field(min_length=1, description="What went wrong")
    compensated: bool = Field(default=False, description="True if completed steps were compensated")
    failed_at: UtcDateTime = Field(description="When it failed")


class SignatureRecorded(_GxplinkEvent):
    """An electronic signature was captured by gxplink."""

    NAME: ClassVar[str] = "signature_recorded"
    signature: ElectronicSignature = Field(description="The signature")


class ProcessDefinitionPublished(_GxplinkEvent):
    """A process definition package was published to the connected systems."""

    NAME: ClassVar[str] = "process_definition_published"
    definition: ProcessDefinition = Field(description="The published package")


class AuditRecorded(_GxplinkEvent):
    """An audit record was appended to the audit trail."""

    NAME: ClassVar[str] = "audit_recorded"
    record: AuditRecord = Field(description="The audit record")


IntegrityCheck = Literal["clock_skew", "change_without_reason", "time_out_of_sequence", "missing_attribution",
                         "late_entry"]
AlcoaPrinciple = Literal["attributable", "legible", "contemporaneous", "original", "accurate", "complete",
                         "consistent", "enduring", "available"]


class DataIntegrityIssueDetected(_GxplinkEvent):
    """An audit record broke an ALCOA+ expectation (raised live as records are appended, for review)."""

    NAME: ClassVar[str] = "data_integrity_issue_detected"
    issue_id: Identifier = Field(description="Id of this finding (derived from the record and the check)")
    check: IntegrityCheck = Field(description="Which check found it")
    principle: AlcoaPrinciple = Field(description="The ALCOA+ principle at stake")
    record_id: Identifier = Field(description="Audit record (message or action id) the finding is about")
    record_type: str = Field(min_length=1, description="Type of the record acted on, e.g. 'test_result'")
    record_ref: Identifier = Field(description="Id of the record acted on")
    source_system: SourceSystem = Field(description="System where the action happened")
    batch_id: Identifier | None = Field(default=None, description="Batch concerned, if known")
    detail: str = Field(min_length=1, description="What is wrong, in words a reviewer can act on")
    detected_at: UtcDateTime = Field(description="When gxplink detected it")


TransferStatus = Literal["received", "refused", "approved", "rejected", "provisioned", "failed"]


class TransferPackageShared(_GxplinkEvent):
    """A sponsor shared a sealed process-definition package with a CDMO (on gxp.transfer.sponsor.package)."""

    NAME: ClassVar[str] = "transfer_package_shared"
    transfer_id: Identifier = Field(description="Transfer id both sides' audit trails carry")
    definition_id: Identifier = Field(description="Process definition id")
    definition_version: int = Field(ge=1, description="Version of the process definition")
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the package content")
    sponsor_site: Identifier = Field(description="Sending site")
    package: dict[str, JsonValue] = Field(description="The sealed package document, as exported")


class TransferStatusReported(_GxplinkEvent):
    """A CDMO reports where a transfer stands (on gxp.transfer.cdmo.status), with the reasons and the diff."""

    NAME: ClassVar[str] = "transfer_status_reported"
    transfer_id: Identifier = Field(description="Transfer id")
    site: Identifier = Field(description="Receiving site")
    status: TransferStatus = Field(description="received, refused, approved, rejected, provisioned or failed")
    content_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="Hash of the package")
    reasons: tuple[str, ...] = Field(default=(), description="Why (a refusal names each problem precisely)")
    diff: dict[str, JsonValue] | None = Field(default=None, description="Semantic diff against the previous version")
