"""Canonical event types the built-in workflows wait for, in one place."""

from __future__ import annotations

from canonical_model.events.deltav import AlarmRaised, ProcessValueRecorded
from canonical_model.events.erp import LotReleased
from canonical_model.events.gxplink import WorkflowCompleted, WorkflowFailed
from canonical_model.events.lims import TestResultCorrected, TestResultRecorded
from canonical_model.events.mes import BatchCreated, BatchStateChanged, MasterRecipeApproved, SamplePulled
from canonical_model.events.qms import DeviationOpened, DeviationStatusChanged

ALARM_RAISED = AlarmRaised.ce_type()
PROCESS_VALUE_RECORDED = ProcessValueRecorded.ce_type()
MASTER_RECIPE_APPROVED = MasterRecipeApproved.ce_type()
BATCH_CREATED = BatchCreated.ce_type()
BATCH_STATE_CHANGED = BatchStateChanged.ce_type()
SAMPLE_PULLED = SamplePulled.ce_type()
RESULTS = (TestResultRecorded.ce_type(), TestResultCorrected.ce_type())
DEVIATION_OPENED = DeviationOpened.ce_type()
DEVIATION_STATUS_CHANGED = DeviationStatusChanged.ce_type()
WORKFLOW_ENDED = (WorkflowCompleted.ce_type(), WorkflowFailed.ce_type())
CLOSED = ["closed", "cancelled"]
LOT_RELEASED = LotReleased.ce_type()
