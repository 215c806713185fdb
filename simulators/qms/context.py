"""What a SOAP operation runs with: the store, the fault switches and the authenticated user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.common.faults import Faults
from simulators.qms.store import QmsStore


@dataclass(frozen=True)
class CallContext:
    store: QmsStore
    faults: Faults
    user: str


def call_context(ctx: Any) -> CallContext:
    """The context spyne carries in `ctx.udc`, set by the application when the call started."""
    udc: CallContext = ctx.udc
    return udc

