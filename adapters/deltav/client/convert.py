"""asyncua values as plain Python, asyncua failures as the adapter's errors, notifications into the sink.

Everything here runs on asyncua's delivery path or around one service call; it converts, it never waits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from asyncua import ua
from asyncua.common.node import Node
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from adapters.deltav.connection import NotificationSink
from adapters.deltav.errors import BadStatus
from adapters.deltav.model import EventNote, Sample
from messaging.errors import RetryableError

EVENT_FIELDS = {"EventId", "EventType", "Time", "Message", "Severity", "Unit", "BatchId", "PhaseId", "FromState",
                "ToState", "Reason", "ClientUserId", "ConditionName", "NodeId", "ActiveState/Id", "AckedState/Id",
                "ActiveState/TransitionTime", "LimitState/CurrentState", "InputNode", "HighLimit", "LowLimit",
                "Retain", "Comment"}


class _RedactIdentity(logging.Filter):
    """asyncua logs every request at DEBUG, ActivateSession with the password in it: never let that out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, ua.ActivateSessionRequest) for a in record.args):
            record.msg, record.args = "Sending: ActivateSessionRequest (user identity token redacted)", ()
        return True


logging.getLogger("asyncua.client.ua_client.UASocketProtocol").addFilter(_RedactIdentity())


def numeric_id(identifier: int) -> ua.NodeId:
    return ua.NodeId(cast(Any, identifier))


def safe_url(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def plain(value: Any) -> Any:
    """asyncua values as JSON-able Python: NodeIds as strings, texts as text, structures as dicts."""
    if isinstance(value, ua.LocalizedText):
        return value.Text
    if isinstance(value, ua.NodeId):
        return value.to_string()
    if isinstance(value, ua.StatusCode):
        return value.name
    if isinstance(value, ua.QualifiedName):
        return value.Name
    if isinstance(value, ua.Variant):
        return plain(value.Value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, uuid.UUID):  # a Guid
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


@contextlib.asynccontextmanager
async def service(what: str) -> AsyncIterator[None]:
    """Bad answers as BadStatus, no answer as RetryableError."""
    try:
        yield
    except UaStatusCodeError as exc:
        raise BadStatus(ua.StatusCode(exc.code).name, what) from None
    except (ConnectionError, OSError, TimeoutError, UaError) as exc:
        raise RetryableError(f"{what}: no answer from DeltaV ({type(exc).__name__})") from None


async def lost(sink: NotificationSink, reason: str) -> None:
    sink.lost(reason)


def sample(path: str, dv: ua.DataValue) -> Sample:
    value = plain(dv.Value.Value) if dv.Value is not None else None
    status = dv.StatusCode.name if dv.StatusCode is not None else "Good"
    return Sample(path, value, status, _utc(dv.SourceTimestamp), _utc(dv.ServerTimestamp))


def _utc(moment: datetime | None) -> datetime | None:
    """OPC UA DateTime is UTC. asyncua decodes aware datetimes, but a DataValue made in process may carry a naive
    one: it is read as UTC, never compared as naive with the aware watermarks (a TypeError in the translator)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class Handler:
    """asyncua calls these from a task per notification; they only convert and hand over."""

    def __init__(self, paths: dict[str, str], sink: NotificationSink) -> None:
        self.paths, self.sink = paths, sink

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        path = self.paths.get(node.nodeid.to_string())
        if path is not None:
            self.sink.data_change(sample(path, data.monitored_item.Value))

    def event_notification(self, event: Any) -> None:
        fields = event.get_event_props_as_fields_dict()
        source = fields.get("SourceNode")
        path = self.paths.get(plain(source.Value)) if source is not None and source.Value is not None else None
        if path is not None:
            values = {("ConditionId" if k == "NodeId" else k): plain(v.Value) for k, v in fields.items()
                      if k in EVENT_FIELDS}
            self.sink.event(EventNote(path, {k: v for k, v in values.items() if v is not None}))

    def status_change_notification(self, status: Any) -> None:
        self.sink.lost(f"subscription status {plain(status.Status)}")
