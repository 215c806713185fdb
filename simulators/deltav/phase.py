"""The ISA-88 phase state model that DeltaV Batch phases follow (IEC 61512-1, figure 'procedural states').

Commands move a phase into a transient state (HOLDING, RESTARTING, STOPPING, ABORTING) that the
phase logic finishes on its own; COMPLETE is reached by the phase logic, never by a command.
A command the current state does not accept is refused, as DeltaV refuses it (OPC UA Bad_InvalidState).
"""

from __future__ import annotations

COMMANDS = ("START", "HOLD", "RESTART", "STOP", "ABORT", "RESET")
STATES = ("IDLE", "RUNNING", "HOLDING", "HELD", "RESTARTING", "COMPLETE", "STOPPING", "STOPPED", "ABORTING",
          "ABORTED")

_TRANSITIONS: dict[str, dict[str, str]] = {
    "IDLE": {"START": "RUNNING"},
    "RUNNING": {"HOLD": "HOLDING", "STOP": "STOPPING", "ABORT": "ABORTING", "COMPLETE": "COMPLETE"},
    "HOLDING": {"STOP": "STOPPING", "ABORT": "ABORTING"},
    "HELD": {"RESTART": "RESTARTING", "STOP": "STOPPING", "ABORT": "ABORTING"},
    "RESTARTING": {"HOLD": "HOLDING", "STOP": "STOPPING", "ABORT": "ABORTING"},
    "STOPPING": {"ABORT": "ABORTING"},
    "ABORTING": {},
    "COMPLETE": {"RESET": "IDLE"},
    "STOPPED": {"RESET": "IDLE"},
    "ABORTED": {"RESET": "IDLE"},
}

# transient state -> the state its phase logic reaches by itself
SETTLES_TO = {"HOLDING": "HELD", "RESTARTING": "RUNNING", "STOPPING": "STOPPED", "ABORTING": "ABORTED"}
FINISHED = ("COMPLETE", "STOPPED", "ABORTED")


class InvalidTransition(ValueError):
    """The command is not accepted in the phase's current state."""


def next_state(state: str, command: str) -> str:
    command = command.upper()
    if command not in (*COMMANDS, "COMPLETE"):
        raise ValueError(f"unknown phase command {command!r}; DeltaV phases accept {', '.join(COMMANDS)}")
    target = _TRANSITIONS.get(state, {}).get(command)
    if target is None:
        raise InvalidTransition(f"{command} is not allowed in state {state}; allowed: {', '.join(available(state))}")
    return target


def available(state: str) -> list[str]:
    """Commands an operator may give now (what DeltaV Operate enables on the phase faceplate)."""
    return [c for c in _TRANSITIONS.get(state, {}) if c != "COMPLETE"] or ["none"]
