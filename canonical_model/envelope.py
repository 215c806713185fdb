"""The CloudEvents 1.0 compatible envelope every canonical message travels in.

Extensions (lowercase, as CloudEvents requires): `correlationid` ties a message to its business
context (batch, lot...), `causationid` to the message that caused it, `traceparent` to a W3C trace,
`actor` says who acted (`user:<id>`, `service:<id>` or both joined by `;`), `sourcesystem`,
`sourcetime` (when it happened in the legacy system) and `receivedtime` (when gxplink got it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import Field, ValidationError, model_validator

from canonical_model.base import CanonicalModel, SourceSystem, UtcDateTime
from canonical_model.ids import new_id
from canonical_model.messages import Message

DataT = TypeVar("DataT", bound=Message)

ACTOR_PATTERN = r"^(user:[^\s;]+)(;service:[^\s;]+)?$|^service:[^\s;]+$"
TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


class Envelope(CanonicalModel, Generic[DataT]):
    """A canonical message with its CloudEvents context attributes and gxplink extensions."""

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents specification version")
    id: str = Field(min_length=1, max_length=200, description="Unique per message; also the Nats-Msg-Id")
    source: str = Field(min_length=1, description="URI-reference of the producer, e.g. /gxplink/adapters/lims")
    type: str = Field(min_length=1, description="io.gxplink.<kind>.<system>.<name>.v<version>")
    subject: str | None = Field(default=None, description="The record the message is about, e.g. lot/LOT-1")
    time: UtcDateTime = Field(description="When the message was produced (UTC)")
    datacontenttype: Literal["application/json"] = Field(default="application/json", description="Always JSON")
    dataschema: str | None = Field(default=None, description="URI of the JSON Schema of this message type")
    correlationid: str | None = Field(default=None, description="Business correlation, e.g. the batch id")
    causationid: str | None = Field(default=None, description="Id of the message that caused this one")
    traceparent: str | None = Field(default=None, pattern=TRACEPARENT_PATTERN, description="W3C traceparent")
    actor: str = Field(pattern=ACTOR_PATTERN, description="user:<id>, service:<id> or user:<id>;service:<id>")
    sourcesystem: SourceSystem = Field(description="System where the fact or request originated")
    sourcetime: UtcDateTime | None = Field(default=None, description="When it happened in the source system")
    receivedtime: UtcDateTime | None = Field(default=None, description="When gxplink received it")
    mapping: str | None = Field(
        default=None, pattern=r"^[a-z0-9_./-]+@[0-9]+$",
        description="Mapping name@version that translated the source record, e.g. lims/oru_r01@1",
    )
    data: DataT = Field(description="The canonical payload; its class is named by `type`")

    @model_validator(mode="after")
    def _type_matches_data(self) -> Envelope[DataT]:
        # The type routes the message; a type that disagrees with the payload class would let a
        # consumer dispatch a payload to the wrong handler.
        expected = self.data.ce_type()
        if self.type != expected:
            raise ValueError(f"type: must be {expected!r} for data of {type(self.data).__name__}")
        return self

    @classmethod
    def wrap(
        cls,
        data: DataT,
        *,
        source: str,
        actor: str,
        sourcesystem: SourceSystem,
        id: str | None = None,
        time: datetime | None = None,
        subject: str | None = None,
        correlationid: str | None = None,
        causationid: str | None = None,
        traceparent: str | None = None,
        sourcetime: datetime | None = None,
        receivedtime: datetime | None = None,
        mapping: str | None = None,
    ) -> Envelope[DataT]:
        """Envelope `data`, deriving `type` and `dataschema` from its class."""
        return envelope_type(type(data))(
            id=id or new_id(),
            source=source,
            type=data.ce_type(),
            subject=subject,
            time=time or datetime.now(UTC),
            dataschema=data.schema_id(),
            correlationid=correlationid,
            causationid=causationid,
            traceparent=traceparent,
            actor=actor,
            sourcesystem=sourcesystem,
            sourcetime=sourcetime,
            receivedtime=receivedtime,
            mapping=mapping,
            data=data,
        )

    @property
    def nats_subject(self) -> str:
        return self.data.subject()

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def envelope_type(data_type: type[DataT]) -> type[Envelope[DataT]]:
    """`Envelope[data_type]` for a class known only at run time, built once per class.

    Parametrising a pydantic generic costs milliseconds each time; on a consumer's hot path that
    would dominate, so the classes are cached here.
    """
    cached = _ENVELOPE_TYPES.get(data_type)
    if cached is None:
        cached = _ENVELOPE_TYPES[data_type] = Envelope.__class_getitem__(data_type)
    return cast("type[Envelope[DataT]]", cached)


_ENVELOPE_TYPES: dict[type[Message], Any] = {}


class EnvelopeError(ValueError):
    """A payload that is not a valid canonical envelope; the message names the field and the rule."""


def describe(error: ValidationError) -> str:
    """One line per failed rule: `field.path: rule (got value)`."""
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "<root>"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)


def parse_envelope(raw: bytes | str | dict[str, Any], types: dict[str, type[Message]]) -> Envelope[Message]:
    """Validate raw JSON as an envelope whose data is the message class registered for its `type`."""
    doc = raw if isinstance(raw, dict) else _loads(raw)
    ce_type = doc.get("type") if isinstance(doc, dict) else None
    if not isinstance(doc, dict):
        raise EnvelopeError("<root>: an envelope must be a JSON object")
    if not isinstance(ce_type, str) or ce_type not in types:
        raise EnvelopeError(f"type: unknown canonical message type {ce_type!r}")
    try:
        return envelope_type(types[ce_type]).model_validate(doc)
    except ValidationError as exc:
        raise EnvelopeError(describe(exc)) from exc


def _loads(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise EnvelopeError(f"<root>: not JSON ({exc})") from exc
