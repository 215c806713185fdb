"""LIMS commands: PlaceTestOrder and CancelTestOrder become OML^O21 messages, ProvisionSpecifications
master file notifications (MFN^M08, MFN^M09; see master_files.py), all sent over MLLP.

The message's MSH-10 derives from the command id, so a resend after a lost ACK is the same message to
the LIMS (which drops a repeated MSH-10, and takes a master file record it holds as posted) and the ACK
is matched by MSA-2. A NACK is permanent or transient by its HL7 error code (table 0357).
"""

from __future__ import annotations

from typing import Any

from adapters.framework.commands import Handler, Outcome
from adapters.lims.acks import read_ack, refusals
from adapters.lims.client import LimsSender
from adapters.lims.master_files import master_files
from canonical_model.commands.lims import CancelTestOrder, PlaceTestOrder, ProvisionSpecifications
from canonical_model.envelope import Envelope
from mappings.engine.catalog import Catalog
from mappings.engine.errors import TranslationError
from mappings.engine.outbound import OutboundMapping
from messaging.errors import PermanentError, RetryableError

MAPPINGS = {PlaceTestOrder.ce_type(): "lims/place_test_order", CancelTestOrder.ce_type(): "lims/cancel_test_order"}


def command_handlers(catalog: Catalog, sender: LimsSender | None) -> dict[str, Handler]:
    def handler(mapping_name: str) -> Handler:
        mapping = catalog.get(mapping_name)
        assert isinstance(mapping, OutboundMapping)

        async def send(command: Envelope[Any]) -> Outcome:
            if sender is None:
                raise PermanentError("no LIMS address configured (GXPLINK_LIMS_LIMS_URL)")
            try:
                message = mapping.render(command)
            except TranslationError as exc:
                raise PermanentError(f"cannot build the OML^O21: {exc}") from None
            assert isinstance(message, bytes)
            reading = read_ack(await sender.send(message))
            if reading.accepted:
                return Outcome(detail=f"LIMS acknowledged ({reading.code})", references={"hl7_control_id": command.id})
            problem = f"LIMS answered {reading.code} {reading.error_code or ''}: {reading.error_text or 'no reason'}"
            raise RetryableError(problem) if reading.transient else PermanentError(problem)
        return send

    handlers = {ce_type: handler(name) for ce_type, name in MAPPINGS.items()}
    handlers[ProvisionSpecifications.ce_type()] = _provisioning(catalog, sender)
    return handlers


def _provisioning(catalog: Catalog, sender: LimsSender | None) -> Handler:
    codes = catalog.tables.get("lims_order_codes")

    async def provision(command: Envelope[Any]) -> Outcome:
        if sender is None:
            raise PermanentError("no LIMS address configured (GXPLINK_LIMS_LIMS_URL)")
        try:
            files = master_files(command, codes)
        except TranslationError as exc:
            raise PermanentError(f"cannot build the master file notification: {exc}") from None
        done: list[str] = []
        for file in files:
            answer = await sender.send(file.message)
            reading = read_ack(answer)
            if not reading.accepted:
                records = "; ".join(refusals(answer)) or reading.error_text or "no reason"
                before = f" (after {', '.join(done)} was posted)" if done else ""
                problem = (f"LIMS refused MFN^{file.trigger} ({reading.code} {reading.error_code or ''}): "
                           f"{records}{before}")
                raise RetryableError(problem) if reading.transient else PermanentError(problem)
            done.append(f"MFN^{file.trigger}")
        posted = sum(len(f.changes) for f in files)
        return Outcome(detail=f"LIMS posted {posted} master file records ({', '.join(done)})",
                       references={"transfer_id": command.data.transfer_id,
                                   "hl7_control_ids": ",".join(f.control_id for f in files)})
    return provision
