"""Replaying dead-lettered source messages through a running adapter.

`gxplink dlq replay ID` sends the raw bytes of a dead letter as a NATS request to
`gxp.replay.<system>`; the adapter runs them through the same inbound pipeline as live traffic
(so a fixed mapping or code table now translates them) and answers what happened.
"""

from __future__ import annotations

import json
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from adapters.framework.inbound import Accepted, InboundPipeline
from canonical_model.subjects import replay_subject

log = logging.getLogger(__name__)


class ReplayResponder:
    def __init__(self, system: str, pipeline: InboundPipeline, nc: Client) -> None:
        self.system, self.pipeline, self.nc = system, pipeline, nc
        self._sub: Subscription | None = None

    async def start(self) -> None:
        self._sub = await self.nc.subscribe(replay_subject(self.system), cb=self._on_request)

    async def stop(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception as exc:  # the connection may already be closing
                log.info("%s replay responder: %s", self.system, exc)
            self._sub = None

    async def _on_request(self, msg: Msg) -> None:
        origin = (msg.headers or {}).get("origin", "replay")
        outcome = await self.pipeline.accept(msg.data, origin=f"replay of {origin}")
        answer: dict[str, object]
        if isinstance(outcome, Accepted):
            answer = {"accepted": True, "events": len(outcome.events), "duplicates": outcome.duplicates}
        else:
            answer = {"accepted": False, "reason": f"{outcome.path}: {outcome.reason}".strip(": "),
                      "dead_letter": outcome.dead_letter_id}
        await msg.respond(json.dumps(answer).encode())
