"""W3C trace context across NATS: every event and command a legacy message causes shares its trace.

A span is opened per hop and its `traceparent` is put in the envelope (and the NATS headers), so a
trace viewer shows the ORU^R01 from the LIMS, the events it produced and the commands that followed.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()
_provider = TracerProvider()  # exporters are configured through the standard OTEL_* environment, if at all
_tracer = _provider.get_tracer("gxplink")


def child_traceparent(parent: str | None, name: str) -> str:
    """The traceparent of a new span under `parent` (a new trace when there is none)."""
    context = _propagator.extract({"traceparent": parent}) if parent else Context()
    with _tracer.start_as_current_span(name, context=context):
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
    return carrier["traceparent"]


def trace_id(traceparent: str | None) -> str | None:
    if not traceparent:
        return None
    span = trace.get_current_span(_propagator.extract({"traceparent": traceparent}))
    return format(span.get_span_context().trace_id, "032x") or None
