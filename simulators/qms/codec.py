"""Stored records (snake_case dicts, ISO strings) to and from the service's camelCase XML types."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from spyne import Date, DateTime

from simulators.common.audit import AuditEntry as StoredAuditEntry
from simulators.qms import schema
from simulators.qms.schema import camel


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_soap(kind: str, record: dict[str, Any]) -> Any:
    model = schema.MODELS[kind]
    own_id = f"{camel(kind)}Id"
    values = {name: _typed(cls, record.get("id" if name == own_id else snake(name)))
              for name, cls in model._type_info.items()}
    return model(**values)


def change_to_soap(change: dict[str, Any]) -> Any:
    return schema.Change(
        changeSeq=change["seq"], changedAt=datetime.fromisoformat(change["at"]), changedBy=change["user"],
        recordType=change["kind"], recordId=change["id"], action=change["action"], status=change["status"],
        **{camel(change["kind"]): to_soap(change["kind"], change["record"])})


def audit_to_soap(entry: StoredAuditEntry) -> Any:
    return schema.AuditEntry(
        seq=entry.seq, at=datetime.fromisoformat(entry.at), user=entry.user, action=entry.action,
        recordType=entry.record_type, recordId=entry.record_id, field=entry.field, oldValue=_text(entry.old),
        newValue=_text(entry.new), reason=entry.reason)


def from_soap(values: dict[str, Any]) -> dict[str, Any]:
    """Operation arguments to record fields: snake_case keys, plain JSON values."""
    return {snake(k): plain(v) for k, v in values.items()}


def plain(value: Any) -> Any:
    """A parsed XML value as JSON has it: ISO strings for dates, str for enumeration values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def _typed(cls: Any, value: Any) -> Any:
    if value is None:
        return None
    if issubclass(cls, DateTime):
        return datetime.fromisoformat(value)
    if issubclass(cls, Date):
        return date.fromisoformat(value)
    return value


def _text(value: Any) -> str | None:
    """Audit values as the trail shows them: strings as they are, lists and numbers as JSON."""
    return None if value is None else value if isinstance(value, str) else json.dumps(value)
