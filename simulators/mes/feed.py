"""The MES change feed: an append-only, ordered list of change records read with a cursor.

The cursor is the sequence number of the last record a reader has seen; it only grows, survives
restarts (the feed is a JSON Lines file under the data dir) and never skips, so an integration that
was down resumes exactly where it stopped.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any


class ChangeFeed:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = path.read_text().splitlines() if path.exists() else []
        self.records: list[dict[str, Any]] = [json.loads(line) for line in lines if line.strip()]

    @property
    def last_seq(self) -> int:
        return int(self.records[-1]["seq"]) if self.records else 0

    def append(self, event_type: str, at: datetime, user: str, batch_id: str | None, record_type: str,
               record_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        record = {"seq": self.last_seq + 1, "type": event_type, "at": at.isoformat(), "user": user,
                  "batch_id": batch_id, "record_type": record_type, "record_id": record_id, "data": data or {}}
        with self.path.open("a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
        self.records.append(record)
        return record

    def since(self, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        # seq == index + 1, so the page starts at index `after` without scanning the feed.
        start = max(after, 0)
        return self.records[start:start + limit]

    def for_batch(self, batch_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["batch_id"] == batch_id]
