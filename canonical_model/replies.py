"""Replies to commands: `CommandSucceeded` and `CommandFailed`, published by the target's adapter.

Replies travel on the subject of the system that executed the command (`gxp.evt.lims.command_failed`),
so one class per system is needed; the classes are written out below rather than generated, so
they can be imported, type-checked and found by name.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from canonical_model.base import Identifier, SourceSystem, SystemName, UtcDateTime
from canonical_model.messages import Event

ErrorClass = Literal["retryable", "permanent"]


class _Reply(Event):
    command_id: str = Field(min_length=1, description="Envelope id of the command answered")
    command_type: str = Field(description="CloudEvents type of the command, io.gxplink.cmd.<system>.<name>.v<n>")

    @model_validator(mode="after")
    def _command_of_this_system(self) -> _Reply:
        prefix = f"io.gxplink.cmd.{type(self).SYSTEM}."
        if not self.command_type.startswith(prefix):
            raise ValueError(f"command_type: must start with {prefix!r} (replies travel on the target's subject)")
        return self


class CommandSucceeded(_Reply):
    """The target system executed the command."""

    NAME: ClassVar[str] = "command_succeeded"
    completed_at: UtcDateTime = Field(description="When the system executed it")
    detail: str | None = Field(default=None, min_length=1, description="Outcome in words")
    references: dict[str, Identifier] = Field(
        default_factory=dict, description="Ids the system assigned, e.g. {'deviation_id': 'DEV-2026-0042'}"
    )


class CommandFailed(_Reply):
    """The target system refused the command or the adapter could not deliver it."""

    NAME: ClassVar[str] = "command_failed"
    failed_at: UtcDateTime = Field(description="When it failed")
    error_class: ErrorClass = Field(description="retryable (try again later) or permanent (do not retry)")
    error_code: str | None = Field(default=None, min_length=1, description="System or adapter error code")
    detail: str = Field(min_length=1, description="What went wrong, in words")


class MesCommandSucceeded(CommandSucceeded):
    """The MES executed a command."""

    SYSTEM: ClassVar[SourceSystem] = "mes"


class MesCommandFailed(CommandFailed):
    """The MES did not execute a command."""

    SYSTEM: ClassVar[SourceSystem] = "mes"


class LimsCommandSucceeded(CommandSucceeded):
    """The LIMS executed a command."""

    SYSTEM: ClassVar[SourceSystem] = "lims"


class LimsCommandFailed(CommandFailed):
    """The LIMS did not execute a command."""

    SYSTEM: ClassVar[SourceSystem] = "lims"


class QmsCommandSucceeded(CommandSucceeded):
    """The QMS executed a command."""

    SYSTEM: ClassVar[SourceSystem] = "qms"


class QmsCommandFailed(CommandFailed):
    """The QMS did not execute a command."""

    SYSTEM: ClassVar[SourceSystem] = "qms"


class ErpCommandSucceeded(CommandSucceeded):
    """The ERP executed a command."""

    SYSTEM: ClassVar[SourceSystem] = "erp"


class ErpCommandFailed(CommandFailed):
    """The ERP did not execute a command."""

    SYSTEM: ClassVar[SourceSystem] = "erp"


class DeltaVCommandSucceeded(CommandSucceeded):
    """The DeltaV DCS executed a command."""

    SYSTEM: ClassVar[SourceSystem] = "deltav"


class DeltaVCommandFailed(CommandFailed):
    """The DeltaV DCS did not execute a command."""

    SYSTEM: ClassVar[SourceSystem] = "deltav"


_SUCCEEDED: dict[SystemName, type[CommandSucceeded]] = {
    "mes": MesCommandSucceeded,
    "lims": LimsCommandSucceeded,
    "qms": QmsCommandSucceeded,
    "erp": ErpCommandSucceeded,
    "deltav": DeltaVCommandSucceeded,
}
_FAILED: dict[SystemName, type[CommandFailed]] = {
    "mes": MesCommandFailed,
    "lims": LimsCommandFailed,
    "qms": QmsCommandFailed,
    "erp": ErpCommandFailed,
    "deltav": DeltaVCommandFailed,
}


def reply_types() -> list[type[CommandSucceeded] | type[CommandFailed]]:
    """Every per-system reply class, succeeded then failed, in SYSTEMS order."""
    return [*_SUCCEEDED.values(), *_FAILED.values()]


def succeeded_type(system: SystemName) -> type[CommandSucceeded]:
    """The CommandSucceeded class an adapter of `system` publishes."""
    return _SUCCEEDED[system]


def failed_type(system: SystemName) -> type[CommandFailed]:
    """The CommandFailed class an adapter of `system` publishes."""
    return _FAILED[system]
