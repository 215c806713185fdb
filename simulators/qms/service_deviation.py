"""SOAP operations on deviations and their investigations.

Create operations are document/literal "bare" (the request element is the new record), the others
wrapped; every write is done as the HTTP-authenticated user and lands in the audit trail.
"""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase, Unicode

from simulators.qms import schema
from simulators.qms.codec import to_soap
from simulators.qms.context import call_context
from simulators.qms.service_common import (
    SERVICE,
    change_status,
    create,
    get,
    operation,
    page_size,
    update,
    with_duplicates,
)


class DeviationService(ServiceBase):  # type: ignore[misc]
    __service_name__ = SERVICE

    @operation(schema.NewDeviation, _body_style="bare", _returns=schema.Deviation)
    def CreateDeviation(ctx: Any, deviation: Any) -> Any:
        return create(ctx, "deviation", deviation)

    @operation(schema.Text, _returns=schema.Deviation)
    def GetDeviation(ctx: Any, deviationId: str) -> Any:
        return get(ctx, "deviation", deviationId)

    @operation(schema.Text, schema.DeviationStatus.customize(min_occurs=1, nillable=False), Unicode,
         _returns=schema.Deviation)
    def ChangeDeviationStatus(ctx: Any, deviationId: str, newStatus: str, reason: str | None) -> Any:
        return change_status(ctx, "deviation", deviationId, newStatus, reason)

    @operation(schema.Cursor, schema.Count, _returns=schema.DeviationList)
    def ListDeviationsChangedSince(ctx: Any, cursor: int | None, maxRecords: int | None) -> Any:
        """Deviations (current state) changed after the cursor; pass nextCursor back next time."""
        call = call_context(ctx)
        found, next_cursor = call.store.changed_records("deviation", cursor or 0, page_size(maxRecords))
        deviations = with_duplicates([to_soap("deviation", d) for d in found], call.faults)
        return schema.DeviationList(deviations=deviations, nextCursor=next_cursor)

    @operation(schema.NewInvestigation, _body_style="bare", _returns=schema.Investigation)
    def CreateInvestigation(ctx: Any, investigation: Any) -> Any:
        return create(ctx, "investigation", investigation)

    @operation(schema.Text, _returns=schema.Investigation)
    def GetInvestigation(ctx: Any, investigationId: str) -> Any:
        return get(ctx, "investigation", investigationId)

    @operation(schema.Text, schema.Text, schema.RootCauseCategory, Unicode, _returns=schema.Investigation)
    def RecordRootCause(ctx: Any, investigationId: str, rootCause: str, rootCauseCategory: str | None,
                        reason: str | None) -> Any:
        values = {"root_cause": rootCause, "root_cause_category": rootCauseCategory or "unknown"}
        return update(ctx, "investigation", investigationId, values, reason)

    @operation(schema.Text, schema.InvestigationStatus.customize(min_occurs=1, nillable=False), Unicode,
         _returns=schema.Investigation)
    def ChangeInvestigationStatus(ctx: Any, investigationId: str, newStatus: str, reason: str | None) -> Any:
        return change_status(ctx, "investigation", investigationId, newStatus, reason)
