"""Typed shorthands over asyncua's signatures, which use NewTypes (Int16, UInt32, String) for plain values.

Call sites pass ints and strs; these helpers keep that readable and mypy-clean in one place.
"""

from __future__ import annotations

from typing import Any, cast

from asyncua import ua
from asyncua.common import event_objects
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.status_codes import StatusCodes

__all__ = ["AttributeIds", "ObjectIds", "StatusCodes", "new_event", "node_id", "qname", "status"]


def node_id(identifier: str | int, ns: int = 0) -> ua.NodeId:
    return ua.NodeId(cast(Any, identifier), cast(Any, ns))


def qname(name: str, ns: int = 0) -> ua.QualifiedName:
    return ua.QualifiedName(cast(Any, name), cast(Any, ns))


def status(code: int = StatusCodes.Good) -> ua.StatusCode:
    return ua.StatusCode(cast(Any, code))


# asyncua's event_objects declare some fields by DataType NodeId, which Variant() cannot encode
_BUILTIN = {ObjectIds.UtcTime: ua.VariantType.DateTime, ObjectIds.Duration: ua.VariantType.Double,
            ObjectIds.NumericRange: ua.VariantType.String, ObjectIds.LocaleId: ua.VariantType.String}


def new_event(kind: str) -> Any:
    """An event object of asyncua's event_objects (e.g. 'ExclusiveLimitAlarm'); fields are set by name."""
    event = cast(Any, getattr(event_objects, kind))()
    for name, datatype in event.data_types.items():
        if isinstance(datatype, ua.NodeId):
            event.data_types[name] = _BUILTIN.get(cast(int, datatype.Identifier), ua.VariantType.ExtensionObject) \
                if datatype.NamespaceIndex == 0 else ua.VariantType.ExtensionObject
    return event
