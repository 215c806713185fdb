"""Which record a CAPA `link` change linked: read from the QMS audit entry of the same change.

A `capa`/`link` change carries the CAPA as it is after the link, not what was linked (mappings/qms
README). The QMS writes the change and its audit entry under one lock and stamps the entry a few
microseconds after the change, so the entry is the first `link` entry of that CAPA whose `at` is not
before the change's `changedAt`; its `field` names the kind (deviation_ids, change_control_ids) and
the linked id is the one in `newValue` (JSON text) that is not in `oldValue`.

Where to look: every change is audited with at least one entry, and both sequences start at 1, so the
entry of change N has a seq >= N; the scan starts there. If nothing is found (a QMS whose trail was
reset), the trail is scanned from its start. No answer means no enrichment: the mapping then uses the
snapshot only when it proves the link, and refuses the change (dead letter) rather than guess.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adapters.qms.api import QmsApi

KINDS = {"deviation_ids": "deviation", "change_control_ids": "change_control"}
PAGE = 500


async def linked_record(client: QmsApi, change: dict[str, Any]) -> dict[str, str] | None:
    """`{"record_type": ..., "record_id": ...}` for a capa link change, or None when the trail does not say."""
    capa_id, since = str(change["recordId"]), _moment(change.get("changedAt"))
    if since is None:  # a change whose time cannot be read: nothing to match the trail against
        return None
    start = max(0, int(change["changeSeq"]) - 1)
    found = await _scan(client, capa_id, since, after=start, until=None)
    if found is None and start > 0:
        found = await _scan(client, capa_id, since, after=0, until=start)
    return found


async def _scan(client: QmsApi, capa_id: str, since: datetime, after: int, until: int | None) -> dict[str, str] | None:
    while until is None or after < until:
        entries, last = await client.audit(after, PAGE, record_id=capa_id)
        for entry in entries:
            at = _moment(entry.get("at"))
            if entry.get("action") == "link" and entry.get("field") in KINDS and at is not None and at >= since:
                return _link(entry)
        if last <= after:
            return None  # the end of the trail
        after = last
    return None


def _link(entry: dict[str, Any]) -> dict[str, str] | None:
    added = [i for i in _ids(entry.get("newValue")) if i not in _ids(entry.get("oldValue"))]
    if len(added) != 1:
        return None
    return {"record_type": KINDS[str(entry["field"])], "record_id": added[0]}


def _ids(text: Any) -> list[str]:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _moment(value: Any) -> datetime | None:
    """A time as zeep read it (or its text), without an offset read as UTC; None when it is not a time."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
