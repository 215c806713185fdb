"""The registry of every concrete canonical message type, keyed by CloudEvents `type`.

Types are collected from an explicit list of modules (not from `Message.__subclasses__()`), so a
test or a plugin that subclasses `Message` cannot silently change what gxplink accepts.
"""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType
from typing import Any

from canonical_model import replies
from canonical_model.commands import deltav as deltav_commands
from canonical_model.commands import erp as erp_commands
from canonical_model.commands import lims as lims_commands
from canonical_model.commands import mes as mes_commands
from canonical_model.commands import qms as qms_commands
from canonical_model.envelope import Envelope, EnvelopeError, parse_envelope
from canonical_model.events import deltav as deltav_events
from canonical_model.events import erp as erp_events
from canonical_model.events import gxplink as gxplink_events
from canonical_model.events import lims as lims_events
from canonical_model.events import mes as mes_events
from canonical_model.events import qms as qms_events
from canonical_model.messages import Message

_MODULES: tuple[ModuleType, ...] = (
    mes_events, lims_events, qms_events, erp_events, deltav_events, gxplink_events,
    mes_commands, lims_commands, qms_commands, erp_commands, deltav_commands,
)
_VERSION_SUFFIX = re.compile(r"\.v[0-9]+$")


def is_concrete(cls: type[Message]) -> bool:
    """A message class that can travel: it has a system and a name (bases and mixins do not)."""
    return all(hasattr(cls, attr) for attr in ("KIND", "SYSTEM", "NAME"))


@cache
def _collect() -> tuple[type[Message], ...]:
    found: list[type[Message]] = []
    for module in _MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Message)
                and value.__module__ == module.__name__
                and is_concrete(value)
            ):
                found.append(value)
    found.extend(replies.reply_types())
    return tuple(found)


def message_types() -> list[type[Message]]:
    """Every concrete event and command, reply types included."""
    return list(_collect())


@cache
def _by_ce_type() -> dict[str, type[Message]]:
    table: dict[str, type[Message]] = {}
    for cls in _collect():
        other = table.setdefault(cls.ce_type(), cls)
        if other is not cls:
            raise RuntimeError(f"{cls.__qualname__} and {other.__qualname__} share type {cls.ce_type()}")
    return table


def types_by_ce_type() -> dict[str, type[Message]]:
    """CloudEvents `type` -> message class."""
    return dict(_by_ce_type())


def lookup(ce_type: str) -> type[Message]:
    """The class registered for `ce_type`; raises `EnvelopeError` naming the unknown type."""
    try:
        return _by_ce_type()[ce_type]
    except KeyError:
        raise EnvelopeError(f"type: unknown canonical message type {ce_type!r}") from None


def type_family(ce_type: str) -> str:
    """`ce_type` without its version suffix: the name all versions of one message share."""
    return _VERSION_SUFFIX.sub("", ce_type)


def latest_types() -> dict[str, type[Message]]:
    """Type family (see `type_family`) -> the registered class with the highest VERSION."""
    latest: dict[str, type[Message]] = {}
    for cls in _collect():
        family = type_family(cls.ce_type())
        if family not in latest or cls.VERSION > latest[family].VERSION:
            latest[family] = cls
    return latest


def parse(raw: bytes | str | dict[str, Any]) -> Envelope[Message]:
    """Validate a raw envelope against the registered type its `type` names."""
    return parse_envelope(raw, _by_ce_type())
