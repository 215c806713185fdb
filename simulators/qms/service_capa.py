"""SOAP operations on CAPAs and change controls, and the links between them and deviations."""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase, Unicode

from simulators.qms import schema
from simulators.qms.codec import to_soap
from simulators.qms.context import call_context
from simulators.qms.service_common import SERVICE, change_status, create, get, operation, update


def link(ctx: Any, capa_id: str, other_kind: str, other_id: str, reason: str | None) -> Any:
    call = call_context(ctx)
    return to_soap("capa", call.store.link("capa", capa_id, other_kind, other_id, reason, call.user))


class CapaService(ServiceBase):  # type: ignore[misc]
    __service_name__ = SERVICE

    @operation(schema.NewCapa, _body_style="bare", _returns=schema.Capa)
    def CreateCapa(ctx: Any, capa: Any) -> Any:
        return create(ctx, "capa", capa)

    @operation(schema.Text, _returns=schema.Capa)
    def GetCapa(ctx: Any, capaId: str) -> Any:
        return get(ctx, "capa", capaId)

    @operation(schema.Text, schema.CapaStatus.customize(min_occurs=1, nillable=False), Unicode, _returns=schema.Capa)
    def ChangeCapaStatus(ctx: Any, capaId: str, newStatus: str, reason: str | None) -> Any:
        return change_status(ctx, "capa", capaId, newStatus, reason)

    @operation(schema.Text, schema.Text, Unicode, _returns=schema.Capa)
    def LinkCapaToDeviation(ctx: Any, capaId: str, deviationId: str, reason: str | None) -> Any:
        """Links both ways (the deviation lists the CAPA too); linking twice changes nothing."""
        return link(ctx, capaId, "deviation", deviationId, reason)

    @operation(schema.Text, schema.EffectivenessResult.customize(min_occurs=1, nillable=False), Unicode, Unicode,
         _returns=schema.Capa)
    def RecordCapaEffectiveness(ctx: Any, capaId: str, result: str, comment: str | None, reason: str | None) -> Any:
        values = {"effectiveness_result": result, "effectiveness_comment": comment}
        return update(ctx, "capa", capaId, values, reason)

    @operation(schema.NewChangeControl, _body_style="bare", _returns=schema.ChangeControl)
    def CreateChangeControl(ctx: Any, changeControl: Any) -> Any:
        return create(ctx, "change_control", changeControl)

    @operation(schema.Text, _returns=schema.ChangeControl)
    def GetChangeControl(ctx: Any, changeControlId: str) -> Any:
        return get(ctx, "change_control", changeControlId)

    @operation(schema.Text, schema.ChangeControlStatus.customize(min_occurs=1, nillable=False), Unicode,
         _returns=schema.ChangeControl)
    def ChangeChangeControlStatus(ctx: Any, changeControlId: str, newStatus: str, reason: str | None) -> Any:
        return change_status(ctx, "change_control", changeControlId, newStatus, reason)

    @operation(schema.Text, schema.Text, Unicode, _returns=schema.ChangeControl)
    def RecordImpactAssessment(ctx: Any, changeControlId: str, impactAssessment: str, reason: str | None) -> Any:
        return update(ctx, "change_control", changeControlId, {"impact_assessment": impactAssessment}, reason)

    @operation(schema.Text, schema.Text, Unicode, _returns=schema.Capa)
    def LinkCapaToChangeControl(ctx: Any, capaId: str, changeControlId: str, reason: str | None) -> Any:
        return link(ctx, capaId, "change_control", changeControlId, reason)
