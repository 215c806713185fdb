"""QMS commands: the outbound mappings render an operation's arguments, the handler calls it over SOAP.

A command may run again after its first answer was lost (a timeout or malformed reply while the QMS
did act, a redelivery after a crash), so each handler makes "already done" a success:
- OpenDeviation: the deviation this command opened is searched first (opened.py) and answered with.
- ChangeDeviationStatus: an InvalidTransition fault is followed by GetDeviation; already in the
  requested status is success, anything else stays the QMS's refusal.
- LinkCapa: the QMS links idempotently; should it refuse (e.g. a CAPA closed meanwhile), the CAPA is
  re-read and the link already present is success.
The reply's `references` carry the ids the QMS assigned (`deviation_id` of an opened deviation).
"""

from __future__ import annotations

from typing import Any

from adapters.framework.commands import Handler, Outcome
from adapters.qms.api import INVALID_TRANSITION, QmsApi, QmsFault
from adapters.qms.opened import OpenedDeviations, marker
from canonical_model.commands.qms import ChangeDeviationStatus, LinkCapa, OpenDeviation
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from mappings.engine.errors import TranslationError
from mappings.engine.outbound import OutboundMapping
from messaging.errors import PermanentError

LINKS = {  # LinkCapa record_type -> (mapping, operation, the CAPA's list of such records)
    "deviation": ("qms/link_capa", "LinkCapaToDeviation", "deviationIds"),
    "change_control": ("qms/link_capa_to_change_control", "LinkCapaToChangeControl", "changeControlIds"),
}


class QmsCommands:
    def __init__(self, catalog: Catalog, client: QmsApi | None, opened: OpenedDeviations | None) -> None:
        self.catalog, self.client, self.opened = catalog, client, opened

    def handlers(self) -> dict[str, Handler]:
        return {OpenDeviation.ce_type(): self.open_deviation, ChangeDeviationStatus.ce_type(): self.change_status,
                LinkCapa.ce_type(): self.link_capa}

    async def open_deviation(self, command: Envelope[Any]) -> Outcome:
        client, args = self._api(), self._render("qms/open_deviation", command)
        if marker(command.id) not in str(args.get("description") or ""):  # without it, a repeat would open twice
            raise PermanentError(f"mapping qms/open_deviation must end the description with {marker('<id>')}")
        existing = await self.opened.find(command.id) if self.opened is not None else None
        if existing is not None:
            return Outcome(detail=f"the QMS already holds deviation {existing} opened by this command; "
                                  "nothing opened again", references={"deviation_id": existing})
        deviation = await client.call("CreateDeviation", args)
        number = str(deviation.get("deviationId") or "")
        if not number:
            raise PermanentError("the QMS answered CreateDeviation without a deviationId")
        return Outcome(detail=f"deviation {number} opened in the QMS ({deviation.get('status')})",
                       references={"deviation_id": number})

    async def change_status(self, command: Envelope[Any]) -> Outcome:
        client, args = self._api(), self._render("qms/change_deviation_status", command)
        number, status = str(args["deviationId"]), str(args["newStatus"])
        references = {"deviation_id": number, "qms_status": status}
        try:
            await client.call("ChangeDeviationStatus", args)
        except QmsFault as exc:
            if exc.code != INVALID_TRANSITION:
                raise
            current = await client.call("GetDeviation", {"deviationId": number})
            if current.get("status") != status:
                raise
            return Outcome(detail=f"deviation {number} was already {status} in the QMS; nothing changed",
                           references=references)
        return Outcome(detail=f"deviation {number} moved to {status} in the QMS", references=references)

    async def link_capa(self, command: Envelope[Any]) -> Outcome:
        record_type = command.data.record_type
        if record_type not in LINKS:
            raise PermanentError(f"the QMS cannot link a CAPA to a {record_type} (only to a deviation or a "
                                 "change control)")
        mapping, operation, field = LINKS[record_type]
        client, args = self._api(), self._render(mapping, command)
        capa_id, record_id = command.data.capa_id, command.data.record_id
        references = {"capa_id": capa_id, f"{record_type}_id": record_id}
        try:
            await client.call(operation, args)
        except QmsFault as exc:
            if exc.code != INVALID_TRANSITION:
                raise
            capa = await client.call("GetCapa", {"capaId": capa_id})
            if record_id not in (capa.get(field) or []):
                raise
            return Outcome(detail=f"CAPA {capa_id} was already linked to {record_type} {record_id}",
                           references=references)
        return Outcome(detail=f"CAPA {capa_id} linked to {record_type} {record_id} in the QMS", references=references)

    def _api(self) -> QmsApi:
        if self.client is None:
            raise PermanentError("no QMS configured (GXPLINK_QMS_WSDL_URL)")
        return self.client

    def _render(self, name: str, command: Envelope[Any]) -> dict[str, Any]:
        mapping = self.catalog.get(name)
        assert isinstance(mapping, OutboundMapping)
        try:
            args = mapping.render(command)
        except TranslationError as exc:
            raise PermanentError(f"cannot build the QMS call ({name}): {exc}") from None
        assert isinstance(args, dict)
        return args
