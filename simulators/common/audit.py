"""The simulator's native audit trail: who, when, what, old -> new value, why.

Real MES, LIMS, QMS, ERP and DCS products keep their own audit trails; auditors correlate them with
gxplink's. Entries are appended to a JSON Lines file under the data dir and read back through each
system's own protocol (REST, SOAP, HL7, OPC UA).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simulators.common.clock import SimClock


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    user: str
    action: str
    record_type: str
    record_id: str
    field: str | None = None
    old: Any = None
    new: Any = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class NativeAuditTrail:
    def __init__(self, path: Path, clock: SimClock) -> None:
        self.path, self.clock = path, clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self.entries = [AuditEntry(**json.loads(ln)) for ln in path.read_text().splitlines() if ln.strip()] \
            if path.exists() else []

    def record(
        self, user: str, action: str, record_type: str, record_id: str,
        changes: dict[str, tuple[Any, Any]] | None = None, reason: str | None = None,
    ) -> list[AuditEntry]:
        """One entry per changed field (or one entry when nothing field-level changed, e.g. a create)."""
        at = self.clock.now().isoformat()
        items = list((changes or {None: (None, None)}).items())  # type: ignore[dict-item]
        added = []
        with self.path.open("a") as f:
            for field, (old, new) in items:
                entry = AuditEntry(len(self.entries) + 1, at, user, action, record_type, record_id, field, old, new,
                                   reason)
                self.entries.append(entry)
                added.append(entry)
                f.write(json.dumps(entry.as_dict(), default=str) + "\n")
        return added

    def since(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        return [e for e in self.entries if e.seq > after_seq][:limit]
