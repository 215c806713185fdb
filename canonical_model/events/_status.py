"""Fields every status-change event shares."""

from __future__ import annotations

from pydantic import Field

from canonical_model.base import CanonicalModel, Identifier, UtcDateTime


class StatusChangeFields(CanonicalModel):
    """Who changed a status, when and why; mixed into the `...StatusChanged` events."""

    reason: str | None = Field(default=None, min_length=1, description="Why the status changed")
    changed_by: Identifier | None = Field(default=None, description="User or service that changed it")
    changed_at: UtcDateTime = Field(description="When the status changed in the source system")
