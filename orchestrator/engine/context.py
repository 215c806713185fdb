"""The workflow's view of the world: its input, its identity, and time as the engine recorded it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from canonical_model.ids import deterministic_id


@dataclass
class WorkflowContext:
    instance_id: str
    workflow: str
    version: int
    business_key: str
    input: dict[str, Any]
    now: datetime  # the time recorded for the current step, never the wall clock

    def id_for(self, label: str) -> str:
        """A deterministic id for something this instance creates (the same on every replay)."""
        return deterministic_id("workflow", self.instance_id, label)
