"""Dead letters: input gxplink could not process is parked with the reason, never dropped.

Each dead letter keeps the original bytes (text when it decodes as UTF-8, base64 otherwise), where
it came from and why it failed, so that an operator can fix the cause and replay it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Literal

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, Field

from canonical_model import subjects
from canonical_model.ids import new_id
from messaging.publisher import Publisher
from messaging.streams import DEAD_LETTERS


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_id)
    origin: str = Field(description="Component that gave up, e.g. 'lims' or 'orchestrator'")
    reason: str = Field(min_length=1, description="Why it could not be processed")
    subject: str | None = Field(default=None, description="Original NATS subject, when it came over NATS")
    source: str | None = Field(default=None, description="Peer or endpoint it came from, e.g. mllp://10.0.0.5")
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    deliveries: int | None = Field(default=None, description="How often it was tried")
    payload: str
    payload_encoding: Literal["utf-8", "base64"] = "utf-8"
    headers: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, origin: str, reason: str, payload: bytes, **context: object) -> DeadLetter:
        try:
            text, encoding = payload.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(payload).decode(), "base64"
        return cls(origin=origin, reason=reason, payload=text, payload_encoding=encoding, **context)

    def raw(self) -> bytes:
        return base64.b64decode(self.payload) if self.payload_encoding == "base64" else self.payload.encode()


async def send_to_dead_letters(publisher: Publisher, letter: DeadLetter) -> None:
    await publisher.publish_bytes(
        subjects.dead_letter_subject(letter.origin),
        letter.model_dump_json().encode(),
        {"Nats-Msg-Id": f"dlq-{letter.id}", "Content-Type": "application/json"},
    )


async def list_dead_letters(js: JetStreamContext, limit: int = 1000) -> list[DeadLetter]:
    """The oldest `limit` dead letters still in the stream."""
    letters: list[DeadLetter] = []
    seq = 1
    while len(letters) < limit:
        try:
            msg = await js.get_msg(DEAD_LETTERS.name, seq=seq, subject=subjects.ALL_DEAD_LETTERS, next=True)
        except NotFoundError:
            break
        letters.append(DeadLetter.model_validate_json(msg.data or b"{}"))
        seq = (msg.seq or seq) + 1
    return letters


def find_dead_letter(letters: list[DeadLetter], letter_id: str) -> DeadLetter:
    """The one letter whose id is or starts with `letter_id`; ValueError otherwise."""
    found = [letter for letter in letters if letter.id == letter_id or letter.id.startswith(letter_id)]
    if len(found) != 1:
        raise ValueError(f"{'no' if not found else 'more than one'} dead letter with id {letter_id!r}")
    return found[0]


async def replay_dead_letter(nc: Client, js: JetStreamContext, letter: DeadLetter) -> dict[str, object]:
    """Feed a letter in again: what came over NATS is published there again under a new message id; what
    came from outside (an MLLP frame, a REST record) goes back to its running adapter, which answers."""
    if letter.subject:
        ack = await Publisher(js).publish_bytes(letter.subject, letter.raw(),
                                                {**letter.headers, "Nats-Msg-Id": f"replay-{letter.id}"})
        return {"accepted": True, "republished": letter.subject, "seq": ack.seq}
    try:
        reply = await nc.request(subjects.replay_subject(letter.origin), letter.raw(), timeout=30,
                                 headers={"origin": letter.source or letter.origin})
    except nats.errors.NoRespondersError:
        raise RuntimeError(f"no running {letter.origin} adapter takes replays (is `gxplink up` running?)") from None
    answer: dict[str, object] = json.loads(reply.data)
    return answer
