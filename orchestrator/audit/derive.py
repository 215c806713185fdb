"""Turning a canonical envelope into an audit draft: who, when, what, why, where, related to what.

Everything is derived from the canonical payload, never from a system's native format, so one rule
per message type (see `mapping`) serves every adapter. A native AuditRecord (GXP_AUDIT) already
says who did what; its fields are taken as they are, with the source system it names.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from canonical_model.envelope import Envelope
from canonical_model.messages import Message
from orchestrator.audit import entities as ent
from orchestrator.audit.canonical import parse_utc, utc_text
from orchestrator.audit.draft import Change, Draft
from orchestrator.audit.mapping import Path, Rule, Unmapped, rule_for
from orchestrator.audit.values import main_fields, resolve

log = logging.getLogger(__name__)

WHO_FIELDS = ("changed_by", "decided_by", "performed_by", "completed_by", "consumed_by", "acknowledged_by",
              "received_by", "collected_by", "signer_id", "opened_by", "posted_by", "linked_by", "ordered_by",
              "initiator", "owner")
REASON_FIELDS = ("reason", "correction_reason", "comment")
WHEN_FIELDS = ("changed_at", "decided_at", "signed_at", "completed_at", "consumed_at", "received_at",
               "observed_at", "posted_at", "linked_at", "started_at", "failed_at", "opened_at", "created_at",
               "collected_at", "source_time", "time")


def parse_actor(actor: str | None) -> tuple[str | None, str | None]:
    """(user id, service id) of `user:<id>;service:<id>`, either part optional."""
    user = service = None
    for part in (actor or "").split(";"):
        kind, _, ident = part.partition(":")
        if kind == "user" and ident:
            user = ident
        elif kind == "service" and ident:
            service = ident
    return user, service


def from_envelope(env: Envelope[Message], *, subject: str | None, received: datetime) -> Draft:
    data: dict[str, Any] = env.data.model_dump(mode="json")
    found = rule_for(env.type)
    if isinstance(found, Unmapped):
        log.warning("no audit rule for %s: recorded as a generic message", env.type)
    rule = found.rule if isinstance(found, Unmapped) else found
    user, service = parse_actor(env.actor)
    draft = Draft(
        record_id=env.id, kind="command" if type(env.data).KIND == "cmd" else "event",
        source_system=env.sourcesystem, target_system=type(env.data).SYSTEM, message_type=env.type,
        subject=subject or env.subject, actor=env.actor, user_id=user, service_id=service,
        source_user=_first(data, WHO_FIELDS), action=rule.action, record_type=rule.record_type,
        record_ref=_record_id(rule.record_id, data, env.id),
        source_time=utc_text(env.sourcetime or _when(data) or env.time),
        received_time=utc_text(env.receivedtime or received),
        changes=changes_of(rule, data), reason=_first(data, REASON_FIELDS), adapter=env.source,
        mapping_version=env.mapping, correlation_id=env.correlationid, causation_id=env.causationid,
        trace_id=trace_id(env.traceparent), content=env.model_dump(mode="json", exclude_none=True),
        lookup_old=rule.lookup_old,
    )
    if rule.native:
        _take_native(draft, data["record"])
    found_entities = ent.collect(data) | {(ent.kind_of(draft.record_type), draft.record_ref)}
    if env.correlationid:
        found_entities.add(("correlation", env.correlationid))
    if draft.kind == "command":  # replies name the command by its id
        found_entities.add(("command", env.id))
    draft.entities = ent.encode(found_entities)
    return draft


def _take_native(draft: Draft, record: dict[str, Any]) -> None:
    """A legacy system's own audit entry: its who/what/why/when win over the envelope's."""
    draft.kind, draft.source_system = "native", record["source_system"]
    draft.target_system = record["source_system"]
    draft.action, draft.record_type, draft.record_ref = record["action"], record["target_type"], record["target_id"]
    draft.user_id = record.get("user_id") or draft.user_id
    draft.service_id = record.get("service_id") or draft.service_id
    draft.source_user = record.get("source_user")
    draft.source_time = utc_text(parse_utc(record["source_time"]))
    draft.received_time = utc_text(parse_utc(record["received_time"]))
    draft.clock_offset = record.get("clock_offset_seconds")
    draft.changes = [Change(c["field"], c.get("old"), c.get("new")) for c in record.get("changes", [])]
    draft.reason = record.get("reason")
    draft.adapter = record.get("adapter") or draft.adapter
    draft.mapping_version = record.get("mapping_version") or draft.mapping_version


def changes_of(rule: Rule, data: dict[str, Any]) -> list[Change]:
    """Per-field old -> new: an attribute change shows its before/after; a creation, its new main fields.

    The reason and the who/when of a status change are not changes of the record: they have their
    own columns (reason, user, source time).
    """
    changes = [Change(name, resolve(data, old), resolve(data, new)) for name, old, new in rule.pairs]
    named = {c.field for c in changes}
    for key in data:  # status-change events not declared in the table still show their before/after
        if key.startswith("previous_") and key[9:] in data and key[9:] not in named:
            changes.append(Change(key[9:], data[key], data[key[9:]]))
    changes += [Change(name, None, value) for name, value in rule.sets]
    if len(changes) > len(rule.sets) or rule.native:
        return changes
    source = resolve(data, rule.record) if rule.record else data
    if isinstance(source, dict):
        taken = {c.field for c in changes} | set(REASON_FIELDS)
        changes += [Change(k, None, v) for k, v in main_fields(source) if k not in taken]
    return changes


def _record_id(path: Path, data: dict[str, Any], message_id: str) -> str:
    paths = (path,) if isinstance(path, str) else path
    parts = [message_id if p == "$id" else resolve(data, p) for p in paths]
    value = "/".join(str(p) for p in parts if p not in (None, ""))
    return value or message_id


def _first(data: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """The first of `names` found, top level first, then in nested records."""
    for name in names:
        if isinstance(data.get(name), str):
            return str(data[name])
    for value in data.values():
        if isinstance(value, dict):
            nested = _first(value, names)
            if nested:
                return nested
    return None


def _when(data: dict[str, Any]) -> datetime | None:
    text = _first(data, WHEN_FIELDS)
    try:
        return parse_utc(text) if text else None
    except ValueError:
        return None


def trace_id(traceparent: str | None) -> str | None:
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None
