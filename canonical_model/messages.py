"""Base classes for canonical events (past tense: `LotReleased`) and commands (imperative: `ReleaseLot`).

Each concrete message declares, as class variables, the system whose subject it travels on, its
snake_case name and its schema version; the subject and the CloudEvents `type` derive from them,
so a message class is the single source of its wire identity.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from canonical_model.base import CanonicalModel, SourceSystem
from canonical_model.subjects import command_subject, event_subject

MessageKind = Literal["evt", "cmd"]
TYPE_PREFIX = "io.gxplink"


class Message(CanonicalModel):
    """A canonical payload that travels as the `data` of an envelope."""

    KIND: ClassVar[MessageKind]
    SYSTEM: ClassVar[SourceSystem]
    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @classmethod
    def subject(cls) -> str:
        if cls.KIND == "evt":
            return event_subject(cls.SYSTEM, cls.NAME)
        return command_subject(cls.SYSTEM, cls.NAME)

    @classmethod
    def ce_type(cls) -> str:
        """CloudEvents `type`, versioned so consumers can route on schema versions."""
        return f"{TYPE_PREFIX}.{cls.KIND}.{cls.SYSTEM}.{cls.NAME}.v{cls.VERSION}"

    @classmethod
    def schema_id(cls) -> str:
        """The `dataschema` URI of this message's JSON Schema."""
        return f"https://schemas.gxplink.io/{cls.KIND}/{cls.SYSTEM}/{cls.NAME}/v{cls.VERSION}.json"


class Event(Message):
    """Something that happened; named in the past tense."""

    KIND: ClassVar[MessageKind] = "evt"


class Command(Message):
    """A request for a system to act; named in the imperative."""

    KIND: ClassVar[MessageKind] = "cmd"
