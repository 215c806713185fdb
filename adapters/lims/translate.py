"""Inbound LIMS traffic: each MLLP message is translated and published before it is acknowledged.

AA only once the events are durably in JetStream; AE with an ERR segment (naming the segment and
field) when the content cannot be taken, after the raw message went to the dead-letter stream; AR
for what is not HL7. When JetStream cannot take it, no ACK is sent, so the LIMS resends.
"""

from __future__ import annotations

import logging

from adapters.framework.inbound import Accepted, InboundPipeline
from adapters.lims.acks import ack
from messaging.dead_letters import DeadLetter, send_to_dead_letters

log = logging.getLogger(__name__)


class ResultReceiver:
    def __init__(self, pipeline: InboundPipeline, application: str) -> None:
        self.pipeline, self.application = pipeline, application

    async def __call__(self, message: bytes, peer: str) -> bytes | None:
        if not message.lstrip(b"\x0b\r\n ").startswith(b"MSH"):
            return await self._not_hl7(message, peer)
        try:
            outcome = await self.pipeline.accept(message, origin=peer)
        except Exception as exc:  # JetStream unreachable after retries: say nothing, the LIMS resends
            log.warning("lims: could not store a message from %s durably (%s); not acknowledging", peer, exc)
            return None
        if isinstance(outcome, Accepted):
            return ack(message, "AA", self.application)
        return ack(message, "AE", self.application, f"{outcome.path}: {outcome.reason}".strip(": "), outcome.path)

    async def _not_hl7(self, message: bytes, peer: str) -> bytes:
        reason = "not an HL7 v2 message: it must start with an MSH segment"
        framing = peer.partition(" ")[2].strip("()")  # the listener's word on a frame it could not read
        if not message and framing:
            reason = f"not an MLLP frame or over the size limit ({framing})"
        elif not message:  # a well-framed but empty message is no framing error
            reason = "an empty message: " + reason.partition(": ")[2]
        letter = DeadLetter.of("lims", reason, message, source=peer.split(" ")[0], headers={"adapter": "lims"})
        try:
            await send_to_dead_letters(self.pipeline.publisher, letter)
            self.pipeline.metrics.dead_letters.inc()
        except Exception as exc:
            log.warning("lims: could not dead-letter garbage from %s: %s", peer, exc)
        return ack(message, "AR", self.application, reason)
