"""DeltaV commands: a set point write, and the phase methods Start / Hold / Restart / Abort.

The outbound mappings render each command into what the OPC UA call needs (tag and value, or unit,
method and named arguments); the handlers resolve names through the browsed plant, never by
constructing NodeIds. Checks before acting: the set point's engineering unit must be the command's
(no silent conversion), and a phase command other than Start must name the batch (and phase) the
unit runs, so gxplink never holds or aborts another batch. Answers: Bad_OutOfRange,
Bad_InvalidState and other refusals are permanent (with the status as error code), no session or a
lost answer retryable. A retried phase command the server refuses with Bad_InvalidState because
its first attempt did act (the answer was lost) is answered as done.
"""

from __future__ import annotations

from typing import Any

from adapters.deltav.connection import Connection
from adapters.deltav.errors import BadStatus, DeltaVPermanent, classify
from adapters.deltav.model import ACTIVE_PHASE_STATES, Plant, UnitInfo
from adapters.deltav.watchdog import Supervisor
from adapters.framework.commands import Handler, Outcome
from canonical_model.commands.deltav import (
    AbortBatchPhase,
    ChangeSetpoint,
    HoldBatchPhase,
    RestartBatchPhase,
    StartBatchPhase,
)
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from mappings.engine.errors import TranslationError
from mappings.engine.outbound import OutboundMapping

MAPPINGS = {command.ce_type(): f"deltav/{command.NAME}" for command in
            (ChangeSetpoint, StartBatchPhase, HoldBatchPhase, RestartBatchPhase, AbortBatchPhase)}
UNITS_TABLE = "deltav_units"
IN_EFFECT = {"Start": (*ACTIVE_PHASE_STATES, "COMPLETE", "STOPPED", "ABORTED"), "Hold": ("HOLDING", "HELD"),
             "Restart": ("RESTARTING", "RUNNING"), "Abort": ("ABORTING", "ABORTED")}


class DeltaVCommands:
    def __init__(self, catalog: Catalog, supervisor: Supervisor, wait: float) -> None:
        self.catalog, self.supervisor, self.wait = catalog, supervisor, wait
        self._attempted: dict[str, None] = {}

    def handlers(self) -> dict[str, Handler]:
        def handler(name: str) -> Handler:
            mapping = self.catalog.get(name)
            assert isinstance(mapping, OutboundMapping)

            async def execute(command: Envelope[Any]) -> Outcome:
                try:
                    doc = mapping.render(command)
                except TranslationError as exc:
                    raise DeltaVPermanent(f"cannot render {command.type}: {exc}") from None
                assert isinstance(doc, dict)
                connection, plant = await self.supervisor.session(self.wait)
                if "tag" in doc:
                    return await self._setpoint(connection, plant, doc)
                return await self._phase(connection, plant, doc, command.id)
            return execute

        return {ce_type: handler(name) for ce_type, name in MAPPINGS.items()}

    async def _setpoint(self, connection: Connection, plant: Plant, doc: dict[str, Any]) -> Outcome:
        tag = str(doc["tag"])
        sp = plant.sps.get(tag)
        if sp is None:
            raise DeltaVPermanent(f"DeltaV has no set point {tag} in the followed units", "BadNodeIdUnknown")
        if doc.get("equipment_id") != sp.unit:
            raise DeltaVPermanent(f"{tag} belongs to {sp.unit}, not {doc.get('equipment_id')}", "EquipmentMismatch")
        table = self.catalog.tables[UNITS_TABLE]
        unit = table.lookup(sp.eu_unit_id) or table.lookup(sp.eu_display)
        if unit != doc.get("unit"):
            raise DeltaVPermanent(f"{tag} is in {unit or sp.eu_display}, the command gives {doc.get('unit')}",
                                  "BadTypeMismatch")
        try:
            await connection.write(sp, float(doc["value"]))
        except BadStatus as exc:
            raise classify(exc, f"writing {doc['value']} {unit} to {tag}") from None
        return Outcome(detail=f"{tag} set to {doc['value']} {unit} (reason: {doc.get('reason')})",
                       references={"tag": tag, "equipment_id": sp.unit})

    async def _phase(self, connection: Connection, plant: Plant, doc: dict[str, Any], command_id: str) -> Outcome:
        unit, method, batch = plant.units.get(str(doc["unit"])), str(doc["method"]), str(doc["batch_id"])
        if unit is None or method not in unit.methods:
            raise DeltaVPermanent(f"DeltaV has no phase method {doc['unit']}/Phase.{method} in the followed units",
                                  "BadNodeIdUnknown")
        if doc.get("parameters"):
            raise DeltaVPermanent(f"{unit.unit}/Phase.Start takes no phase parameters; got {sorted(doc['parameters'])}",
                                  "BadTooManyArguments")
        if method != "Start":
            await self._same_batch(connection, plant, unit, batch, str(doc.get("phase") or ""))
        arguments = doc.get("arguments") or {}
        values = [str(arguments.get(name) or "") for name in unit.methods[method][1]]
        retry = command_id in self._attempted
        self._remember(command_id)
        try:
            state = await connection.call(unit, method, values)
        except BadStatus as exc:
            refused = exc.code == "BadInvalidState"
            if refused and retry and await self._in_effect(connection, plant, unit, method, batch):
                return Outcome(detail=f"{unit.unit}/Phase.{method} had acted on an earlier attempt",
                               references={"unit": unit.unit, "batch_id": batch})
            raise classify(exc, f"{unit.unit}/Phase.{method} for batch {batch}") from None
        note = f" (reason: {doc['reason']})" if doc.get("reason") else ""
        return Outcome(detail=f"{unit.unit}/Phase.{method}: {state}{note}",
                       references={"unit": unit.unit, "batch_id": batch, "state": state})

    async def _same_batch(self, connection: Connection, plant: Plant, unit: UnitInfo, batch: str, phase: str) -> None:
        current = await self._snapshot(connection, plant, unit)
        if current.batch_id != batch:
            raise DeltaVPermanent(f"{unit.unit} runs batch {current.batch_id or '(none)'}, not {batch}",
                                  "BatchMismatch")
        if phase and current.phase_id and current.phase_id != phase:
            raise DeltaVPermanent(f"{unit.unit} runs phase {current.phase_id}, not {phase}", "PhaseMismatch")

    async def _in_effect(self, connection: Connection, plant: Plant, unit: UnitInfo, method: str, batch: str) -> bool:
        current = await self._snapshot(connection, plant, unit)
        return current.batch_id == batch and current.state in IN_EFFECT.get(method, ())

    @staticmethod
    async def _snapshot(connection: Connection, plant: Plant, unit: UnitInfo) -> Any:
        return next(s for s in await connection.read_phases(plant) if s.unit == unit.unit)

    def _remember(self, command_id: str) -> None:
        self._attempted[command_id] = None
        while len(self._attempted) > 1000:
            self._attempted.pop(next(iter(self._attempted)))
