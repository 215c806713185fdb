"""Every NATS subject gxplink uses, defined in one place.

`gxp.evt.<system>.<event>` carries facts, `gxp.cmd.<system>.<command>` carries requests to a
system, `gxp.dlq.<origin>` holds what could not be processed (with the reason) and
`gxp.audit.<system>` carries audit entries (native entries of legacy systems, gxplink actions).
Names are snake_case so that subject wildcards stay predictable.
"""

from __future__ import annotations

import re

ROOT = "gxp"
EVENTS = f"{ROOT}.evt"
COMMANDS = f"{ROOT}.cmd"
DEAD_LETTERS = f"{ROOT}.dlq"
AUDIT = f"{ROOT}.audit"

ALL_EVENTS = f"{EVENTS}.>"
ALL_COMMANDS = f"{COMMANDS}.>"
ALL_DEAD_LETTERS = f"{DEAD_LETTERS}.>"
ALL_AUDIT = f"{AUDIT}.>"
TRANSFER = f"{ROOT}.transfer"  # the only subjects that cross between a sponsor's and a CDMO's deployment
ALL_TRANSFER = f"{TRANSFER}.>"
SPONSOR_TO_CDMO = f"{TRANSFER}.sponsor.>"
CDMO_TO_SPONSOR = f"{TRANSFER}.cdmo.>"

_TOKEN = re.compile(r"^[a-z][a-z0-9_]*$")


def _token(value: str, what: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(f"{what} {value!r} is not a snake_case subject token")
    return value


def event_subject(system: str, name: str) -> str:
    return f"{EVENTS}.{_token(system, 'system')}.{_token(name, 'event name')}"


def command_subject(system: str, name: str) -> str:
    return f"{COMMANDS}.{_token(system, 'system')}.{_token(name, 'command name')}"


def commands_for(system: str) -> str:
    """Wildcard a system's adapter consumes its commands from."""
    return f"{COMMANDS}.{_token(system, 'system')}.>"


def events_from(system: str) -> str:
    return f"{EVENTS}.{_token(system, 'system')}.>"


def dead_letter_subject(origin: str) -> str:
    """Where a component parks input it could not process; origin is the component (e.g. 'lims')."""
    return f"{DEAD_LETTERS}.{_token(origin, 'origin')}"


def audit_subject(system: str) -> str:
    return f"{AUDIT}.{_token(system, 'system')}"


def replay_subject(system: str) -> str:
    """Request subject on which a running adapter re-takes a dead-lettered source message (`gxplink dlq replay`)."""
    return f"{ROOT}.replay.{_token(system, 'system')}"


def transfer_subject(side: str, name: str) -> str:
    """What one side of a tech transfer says: `gxp.transfer.<sponsor|cdmo>.<name>`."""
    if side not in ("sponsor", "cdmo"):
        raise ValueError(f"transfer side {side!r} is neither 'sponsor' nor 'cdmo'")
    return f"{TRANSFER}.{side}.{_token(name, 'transfer message name')}"
