"""The fields of each QMS record kind and how a new record gets its defaults.

Records are plain dicts (JSON-persisted); `FIELDS` is the single list of what a caller may set at
creation, shared by the SOAP operations and the QA actions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from simulators.qms.workflow import INITIAL, InvalidInput

PREFIXES = {"deviation": "DEV", "investigation": "INV", "capa": "CAPA", "change_control": "CC"}
CLASSIFICATIONS = ("minor", "major", "critical")
CAPA_TYPES = ("corrective", "preventive")
ROOT_CAUSE_CATEGORIES = ("human_error", "equipment", "material", "method", "environment", "process", "unknown")
CHANGE_TYPES = ("process", "equipment", "method", "specification", "document", "system", "material")
EFFECTIVENESS_RESULTS = ("effective", "not_effective")

# Days until due, by record kind (deviations by classification), as a site SOP would set them.
_DUE_DAYS = {"minor": 30, "major": 30, "critical": 15, "investigation": 21, "capa": 90, "change_control": 60}

FIELDS: dict[str, tuple[str, ...]] = {
    "deviation": ("title", "description", "classification", "batch_id", "lot_id", "equipment_id", "material_id",
                  "triggering_event_id", "time_window_start", "time_window_end", "owner", "due_date"),
    "investigation": ("deviation_id", "title", "owner", "result_ids", "due_date"),
    "capa": ("title", "description", "capa_type", "owner", "due_date", "deviation_ids", "change_control_ids",
             "effectiveness_check_due"),
    "change_control": ("title", "description", "change_type", "owner", "impact_assessment", "affected_items",
                       "capa_ids", "deviation_ids", "due_date"),
}
LISTS = ("investigation_ids", "capa_ids", "deviation_ids", "change_control_ids", "result_ids", "affected_items")
REQUIRED = {"deviation": ("title", "classification"), "investigation": ("deviation_id",),
            "capa": ("title", "capa_type"), "change_control": ("title", "description", "change_type")}
CHOICES = {"classification": CLASSIFICATIONS, "capa_type": CAPA_TYPES, "change_type": CHANGE_TYPES,
           "root_cause_category": ROOT_CAUSE_CATEGORIES, "effectiveness_result": EFFECTIVENESS_RESULTS}


def record_id(kind: str, year: int, number: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{number:04d}"


def new_record(kind: str, rid: str, fields: dict[str, Any], user: str, now: datetime) -> dict[str, Any]:
    """A new record in its initial status; unknown fields are refused, missing ones get SOP defaults."""
    unknown = set(fields) - set(FIELDS[kind])
    if unknown:
        raise InvalidInput(f"[FIELD-UNKNOWN] {kind} has no field(s) {', '.join(sorted(unknown))}")
    values = {k: v for k, v in fields.items() if v not in (None, "")}
    for name in REQUIRED[kind]:
        if not values.get(name):
            raise InvalidInput(f"[FIELD-REQUIRED] {name} is required to create a {kind}")
    check_choices(values)
    for name in ("time_window_start", "time_window_end", "due_date", "effectiveness_check_due"):
        if name in values:
            values[name] = _iso(name, values[name])
    start, end = values.get("time_window_start"), values.get("time_window_end")
    if start and end and datetime.fromisoformat(end) < datetime.fromisoformat(start):
        raise InvalidInput("[FIELD-WINDOW] time_window_end must not be before time_window_start")
    due_days = _DUE_DAYS.get(str(values.get("classification")), _DUE_DAYS.get(kind, 30))
    record: dict[str, Any] = {name: None for name in FIELDS[kind]}
    record.update({name: [] for name in LISTS if name in FIELDS[kind] or _links(kind, name)})
    record.update(values)
    record.update({
        "id": rid, "status": INITIAL[kind], "opened_by": user, "opened_at": now.isoformat(), "closed_at": None,
        "owner": values.get("owner") or user, "modified_by": user, "modified_at": now.isoformat(),
        "due_date": str(values.get("due_date") or now.date() + timedelta(days=due_days)),
    })
    for name in LISTS:
        if name in record:
            record[name] = sorted(set(id_list(record[name])))
    if kind == "investigation":
        record.update(root_cause=None, root_cause_category=None)
    if kind == "capa":
        record["effectiveness_check_due"] = str(values.get("effectiveness_check_due")
                                                or date.fromisoformat(record["due_date"]) + timedelta(days=90))
        record.update(effectiveness_result=None, effectiveness_comment=None)
    return record


def check_choices(values: dict[str, Any]) -> None:
    for name, choices in CHOICES.items():
        if values.get(name) is not None and values[name] not in choices:
            raise InvalidInput(f"[FIELD-CHOICE] {name} {values[name]!r} is not one of {', '.join(choices)}")


def id_list(value: Any) -> list[str]:
    """A list field as given by a caller: one id alone counts as a list of one."""
    if value in (None, ""):
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _iso(name: str, value: Any) -> str:
    """Dates as YYYY-MM-DD, times as UTC ISO 8601 (a time without offset is taken as UTC)."""
    try:
        if name.startswith("time_window"):
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        return (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
    except ValueError as exc:
        what = "date and time" if name.startswith("time_window") else "date"
        raise InvalidInput(f"[FIELD-FORMAT] {name} {value!r} is not an ISO 8601 {what}") from exc


def _links(kind: str, name: str) -> bool:
    """Back-links a record carries although it is not set at creation (added by link operations)."""
    return (kind, name) in {("deviation", "investigation_ids"), ("deviation", "capa_ids"),
                            ("deviation", "change_control_ids")}
