"""LIMS commands: PlaceTestOrder and CancelTestOrder become OML^O21 messages sent over MLLP.

The message's MSH-10 is the command id, so a resend after a lost ACK is the same message to the
LIMS (which drops a repeated MSH-10) and the ACK is matched by MSA-2. A NACK is permanent or
transient by its HL7 error code (table 0357).
"""

from __future__ import annotations

from typing import Any

from adapters.framework.commands import Handler, Outcome
from adapters.lims.acks import read_ack
from adapters.lims.client import LimsSender
from canonical_model.commands.lims import CancelTestOrder, PlaceTestOrder
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

    return {ce_type: handler(name) for ce_type, name in MAPPINGS.items()}
