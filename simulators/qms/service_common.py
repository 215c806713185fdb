"""What the SOAP operations of all record kinds share: one service name, CRUD steps, feed paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import spyne

from simulators.common.faults import Faults
from simulators.qms.codec import from_soap, plain, to_soap
from simulators.qms.context import call_context

SERVICE = "QualityRecordService"
Operation = TypeVar("Operation", bound=Callable[..., Any])


def operation(*types: Any, **options: Any) -> Callable[[Operation], Operation]:
    """spyne's @rpc (message types, then _returns/_body_style...), typed for mypy."""
    decorator: Callable[[Operation], Operation] = spyne.rpc(*types, **options)
    return decorator


def create(ctx: Any, kind: str, new: Any) -> Any:
    call = call_context(ctx)
    return to_soap(kind, call.store.create(kind, from_soap(new.as_dict()), call.user))


def get(ctx: Any, kind: str, rid: str) -> Any:
    return to_soap(kind, call_context(ctx).store.get(kind, rid))


def change_status(ctx: Any, kind: str, rid: str, status: str, reason: str | None) -> Any:
    call = call_context(ctx)
    return to_soap(kind, call.store.transition(kind, rid, plain(status), reason, call.user))


def update(ctx: Any, kind: str, rid: str, values: dict[str, Any], reason: str | None) -> Any:
    call = call_context(ctx)
    return to_soap(kind, call.store.update(kind, rid, from_soap(values), reason, call.user))


def page_size(requested: int | None, default: int = 100) -> int:
    return min(requested or default, 1000)


def with_duplicates(items: list[Any], faults: Faults) -> list[Any]:
    """The duplicate-delivery fault: some entries of a feed page are delivered twice, back to back."""
    out = []
    for item in items:
        out.append(item)
        if faults.duplicate():
            out.append(item)
    return out
