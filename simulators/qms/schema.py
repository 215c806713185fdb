"""The XML Schema types of the QualityRecordService WSDL (spyne models, camelCase as the service has).

Enumerations are real xs:enumeration facets, so a bad classification or status is refused by the
lxml schema validator as a Client fault before any operation runs, as a WSDL-first service would.
"""

from __future__ import annotations

from typing import Any, ClassVar

from spyne import Boolean, ComplexModel, Date, DateTime, Enum, Integer, Unicode

from simulators.qms import records
from simulators.qms.workflow import KINDS, TRANSITIONS

TNS = "urn:qms:quality-records:2"


def _enum(name: str, values: tuple[str, ...] | list[str]) -> Any:
    return Enum(*values, type_name=name)


Classification = _enum("Classification", records.CLASSIFICATIONS)
CapaType = _enum("CapaType", records.CAPA_TYPES)
ChangeType = _enum("ChangeType", records.CHANGE_TYPES)
RootCauseCategory = _enum("RootCauseCategory", records.ROOT_CAUSE_CATEGORIES)
EffectivenessResult = _enum("EffectivenessResult", records.EFFECTIVENESS_RESULTS)
RecordType = _enum("RecordType", KINDS)
ChangeAction = _enum("ChangeAction", ("create", "change_status", "update", "link", "import"))
DeviationStatus = _enum("DeviationStatus", list(TRANSITIONS["deviation"]))
InvestigationStatus = _enum("InvestigationStatus", list(TRANSITIONS["investigation"]))
CapaStatus = _enum("CapaStatus", list(TRANSITIONS["capa"]))
ChangeControlStatus = _enum("ChangeControlStatus", list(TRANSITIONS["change_control"]))
TypeInfo = list[tuple[str, Any]]  # spyne reads element names and types, in order, from `_type_info`
Ids = Unicode(max_occurs="unbounded")
# Named simple types (customising facets inline would give each use its own anonymous type).
Text = Unicode(min_len=1, min_occurs=1, nillable=False, type_name="NonEmptyString", __namespace__=TNS)
Count = Integer(ge=1, le=1000, type_name="PageSize", __namespace__=TNS)
Cursor = Integer(ge=0, type_name="Cursor", __namespace__=TNS)


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


class _Record(ComplexModel):  # type: ignore[misc]
    __namespace__ = TNS


class Deviation(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("deviationId", Unicode), ("title", Unicode), ("description", Unicode), ("classification", Classification),
        ("status", DeviationStatus), ("batchId", Unicode), ("lotId", Unicode), ("equipmentId", Unicode),
        ("materialId", Unicode), ("triggeringEventId", Unicode), ("timeWindowStart", DateTime),
        ("timeWindowEnd", DateTime), ("owner", Unicode), ("dueDate", Date), ("openedBy", Unicode),
        ("openedAt", DateTime), ("closedAt", DateTime), ("modifiedBy", Unicode), ("modifiedAt", DateTime),
        ("investigationIds", Ids), ("capaIds", Ids), ("changeControlIds", Ids),
    ]


class Investigation(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("investigationId", Unicode), ("deviationId", Unicode), ("title", Unicode), ("status", InvestigationStatus),
        ("owner", Unicode), ("rootCause", Unicode), ("rootCauseCategory", RootCauseCategory), ("resultIds", Ids),
        ("dueDate", Date), ("openedBy", Unicode), ("openedAt", DateTime), ("closedAt", DateTime),
        ("modifiedBy", Unicode), ("modifiedAt", DateTime),
    ]


class Capa(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("capaId", Unicode), ("title", Unicode), ("description", Unicode), ("capaType", CapaType),
        ("status", CapaStatus), ("owner", Unicode), ("dueDate", Date), ("deviationIds", Ids),
        ("changeControlIds", Ids), ("effectivenessCheckDue", Date), ("effectivenessResult", EffectivenessResult),
        ("effectivenessComment", Unicode), ("openedBy", Unicode), ("openedAt", DateTime), ("closedAt", DateTime),
        ("modifiedBy", Unicode), ("modifiedAt", DateTime),
    ]


class ChangeControl(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("changeControlId", Unicode), ("title", Unicode), ("description", Unicode), ("changeType", ChangeType),
        ("status", ChangeControlStatus), ("owner", Unicode), ("impactAssessment", Unicode),
        ("affectedItems", Ids), ("capaIds", Ids), ("deviationIds", Ids), ("dueDate", Date),
        ("openedBy", Unicode), ("openedAt", DateTime), ("closedAt", DateTime), ("modifiedBy", Unicode),
        ("modifiedAt", DateTime),
    ]


class Change(_Record):
    """One entry of the change feed, with the record as it was right after the change."""

    _type_info: ClassVar[TypeInfo] = [
        ("changeSeq", Integer), ("changedAt", DateTime), ("changedBy", Unicode), ("recordType", RecordType),
        ("recordId", Unicode), ("action", ChangeAction), ("status", Unicode), ("deviation", Deviation),
        ("investigation", Investigation), ("capa", Capa), ("changeControl", ChangeControl),
    ]


class ChangeSet(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("changes", Change.customize(max_occurs="unbounded")), ("nextCursor", Integer), ("hasMore", Boolean)]


class DeviationList(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("deviations", Deviation.customize(max_occurs="unbounded")), ("nextCursor", Integer)]


class AuditEntry(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("seq", Integer), ("at", DateTime), ("user", Unicode), ("action", Unicode), ("recordType", Unicode),
        ("recordId", Unicode), ("field", Unicode), ("oldValue", Unicode), ("newValue", Unicode), ("reason", Unicode),
    ]


class AuditEntryList(_Record):
    _type_info: ClassVar[TypeInfo] = [
        ("entries", AuditEntry.customize(max_occurs="unbounded")), ("lastSeq", Integer)]


_FIELD_TYPES: dict[str, Any] = {
    "classification": Classification, "capa_type": CapaType, "change_type": ChangeType, "time_window_start": DateTime,
    "time_window_end": DateTime, "due_date": Date, "effectiveness_check_due": Date, "affected_items": Ids,
}


def _new(kind: str, name: str) -> Any:
    """The input type of Create<Kind>, from the fields a record takes at creation (records.FIELDS)."""
    def typed(field: str) -> Any:
        cls = _FIELD_TYPES.get(field, Ids if field.endswith("_ids") else Unicode)
        if field not in records.REQUIRED[kind]:
            return cls
        return Text if cls is Unicode else cls.customize(min_occurs=1, nillable=False)

    return type(name, (_Record,), {"_type_info": [(camel(f), typed(f)) for f in records.FIELDS[kind]]})


NewDeviation = _new("deviation", "NewDeviation")
NewInvestigation = _new("investigation", "NewInvestigation")
NewCapa = _new("capa", "NewCapa")
NewChangeControl = _new("change_control", "NewChangeControl")

MODELS: dict[str, Any] = {"deviation": Deviation, "investigation": Investigation, "capa": Capa,
                          "change_control": ChangeControl}
