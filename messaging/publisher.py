"""Publishing canonical envelopes to JetStream so that nothing is lost and nothing is doubled.

The envelope id is the `Nats-Msg-Id`: a publish retried after a timeout (or during a nats-server
restart) is dropped by the stream's duplicate window instead of being stored twice. Only an
acknowledged publish counts; callers persist their own cursors after `publish` returns.
"""

from __future__ import annotations

import logging
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NoStreamResponseError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from canonical_model.envelope import Envelope

log = logging.getLogger(__name__)

TRANSIENT = (nats.errors.TimeoutError, nats.errors.NoRespondersError, NoStreamResponseError,
             nats.errors.ConnectionReconnectingError, nats.errors.OutboundBufferLimitError)
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def headers_for(envelope: Envelope[Any]) -> dict[str, str]:
    """CloudEvents structured mode: the body is the whole event; a few attributes as headers for routing."""
    headers = {
        "Nats-Msg-Id": envelope.id,
        "Content-Type": CONTENT_TYPE,
        "ce-id": envelope.id,
        "ce-type": envelope.type,
        "ce-source": envelope.source,
    }
    if envelope.correlationid:
        headers["ce-correlationid"] = envelope.correlationid
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return headers


class Publisher:
    """Publishes envelopes on their own subject, retrying transient failures for up to `give_up_after` s."""

    def __init__(self, js: JetStreamContext, *, timeout: float = 5.0, give_up_after: float = 120.0) -> None:
        self.js, self.timeout, self.give_up_after = js, timeout, give_up_after

    async def publish(self, envelope: Envelope[Any]) -> PubAck:
        return await self.publish_bytes(envelope.nats_subject, envelope.to_json(), headers_for(envelope))

    async def publish_bytes(self, subject: str, payload: bytes, headers: dict[str, str]) -> PubAck:
        if "Nats-Msg-Id" not in headers:
            raise ValueError("every gxplink publish carries a Nats-Msg-Id so JetStream can drop duplicates")
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TRANSIENT),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            stop=stop_after_delay(self.give_up_after),
            reraise=True,
        ):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    log.info("retrying publish of %s on %s", headers["Nats-Msg-Id"], subject)
                return await self.js.publish(subject, payload, timeout=self.timeout, headers=headers)
        raise AssertionError("unreachable: tenacity reraises")
