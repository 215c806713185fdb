"""OPC UA method callbacks: the phase commands on each unit's Phase object and the journal query.

Results are the OPC UA answers a DeltaV server gives: Bad_InvalidState for a command the phase
state refuses, Bad_InvalidArgument / Bad_TypeMismatch / Bad_ArgumentsMissing for bad input, and
an AuditUpdateMethodEventType event for every call, successful or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncua import ua

from simulators.deltav.batch import BatchControl
from simulators.deltav.events import EventSink, audit_method_event
from simulators.deltav.journal import Journal
from simulators.deltav.phase import InvalidTransition
from simulators.deltav.session import current_user
from simulators.deltav.uatypes import ObjectIds, StatusCodes, node_id, status

_PARAMETERS = {"START": ("batch_id", "phase_id"), "HOLD": ("reason",), "STOP": ("reason",), "ABORT": ("reason",),
               "RESTART": (), "RESET": ()}
MethodResult = list[ua.Variant] | ua.StatusCode


class DeltaVHandlers:
    def __init__(self, control: BatchControl, journal: Journal, sink: EventSink) -> None:
        self.control, self.journal, self.sink = control, journal, sink

    def get_entries(self) -> Callable[..., Any]:
        return self.journal.get_entries

    def phase_command(self, unit: str, command: str) -> Callable[..., Any]:
        path, names = f"{unit}/Phase", _PARAMETERS[command]

        async def call(parent: ua.NodeId, *args: ua.Variant) -> MethodResult:
            user = current_user.get()
            code, result = self._check(parent, path, names, args), None
            if code.is_good():
                try:
                    params = {name: str(arg.Value or "") for name, arg in zip(names, args, strict=True)}
                    result = await self.control.command(unit, command, user, **params)
                except InvalidTransition:
                    code = status(StatusCodes.BadInvalidState)
                except (ValueError, KeyError):
                    code = status(StatusCodes.BadInvalidArgument)
            event = audit_method_event(self.control.nodes.ns, path, command.capitalize(), [a.Value for a in args],
                                       user, code)
            await self.sink.emit(event, [node_id(ObjectIds.Server)])
            return [ua.Variant(result, ua.VariantType.String)] if code.is_good() else code

        return call

    def _check(self, parent: ua.NodeId, path: str, names: tuple[str, ...], args: tuple[ua.Variant, ...]
               ) -> ua.StatusCode:
        if parent != self.control.nodes.id(path):
            return status(StatusCodes.BadMethodInvalid)
        if len(args) != len(names):
            return status(StatusCodes.BadArgumentsMissing if len(args) < len(names)
                                 else StatusCodes.BadTooManyArguments)
        if any(a.VariantType not in (ua.VariantType.String, ua.VariantType.Null) for a in args):
            return status(StatusCodes.BadTypeMismatch)
        return status()
