"""One audit record before the chain numbers and hashes it.

Fields answer Part 11 §11.10(e) and Annex 11 §9: who (actor, user, service, source user), when
(source, receive and clock offset), what (action, record type and id, per-field changes), why
(reason), where (systems, adapter, message id and type, mapping version) and what it relates to
(correlation, causation and trace ids, entities). `content` keeps the message itself as evidence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Kind = str  # "event" | "command" | "native" | "dead_letter" | "action"


@dataclass
class Change:
    field: str
    old: Any = None
    new: Any = None


@dataclass
class Draft:
    record_id: str  # the CloudEvents id of the message it stands for, or its own id for actions
    kind: Kind
    source_system: str
    action: str
    record_type: str
    record_ref: str
    source_time: str
    received_time: str
    target_system: str | None = None
    message_type: str | None = None
    subject: str | None = None
    actor: str | None = None
    user_id: str | None = None
    service_id: str | None = None
    source_user: str | None = None
    clock_offset: float | None = None
    changes: list[Change] = field(default_factory=list)
    reason: str | None = None
    adapter: str | None = None
    mapping_version: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    trace_id: str | None = None
    entities: list[list[str]] = field(default_factory=list)
    content: Any = None
    lookup_old: bool = False  # fill unknown old values from earlier entries of the same record

    def change_dicts(self) -> list[dict[str, Any]]:
        return [asdict(change) for change in self.changes]
