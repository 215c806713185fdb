"""W3C trace context across NATS: every event and command a legacy message causes shares its trace.

Each hop gets a span id of its own under the trace of what caused it, and its `traceparent` goes in
the envelope (and the NATS headers), so a trace viewer fed from the trail shows the ORU^R01 from the
LIMS, the events it produced and the commands that followed. The ids are made here, per the W3C
Trace Context format, rather than by opening an OpenTelemetry SDK span per message: gxplink exports
no spans, and on the hot path (one per process value) the SDK span cost more than the translation.
"""

from __future__ import annotations

import re
import secrets

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


def _parts(traceparent: str | None) -> tuple[str, str] | None:
    """(trace id, flags) of a valid traceparent; None for a missing or invalid one (W3C: start anew)."""
    found = _TRACEPARENT.match((traceparent or "").strip().lower())
    if found is None or found[1] == "ff" or found[2] == _ZERO_TRACE or found[3] == _ZERO_SPAN:
        return None
    return found[2], found[4]


def child_traceparent(parent: str | None, name: str) -> str:
    """The traceparent of a new span under `parent` (a new, sampled trace when there is none).

    `name` says which hop it is; it is kept for the callers' readability and a future exporter.
    """
    trace, flags = _parts(parent) or (secrets.token_hex(16), "01")
    span = secrets.token_hex(8)
    while span == _ZERO_SPAN:  # pragma: no cover - one chance in 2**64
        span = secrets.token_hex(8)
    return f"00-{trace}-{span}-{flags}"


def trace_id(traceparent: str | None) -> str | None:
    parts = _parts(traceparent)
    return parts[0] if parts else None
