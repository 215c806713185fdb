"""What a transfer link carried, read back from this side's GXP_TRANSFER stream (no extra store)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from canonical_model import subjects
from messaging.streams import TRANSFER


async def messages(js: JetStreamContext, subject: str = subjects.ALL_TRANSFER) -> list[dict[str, Any]]:
    """Every envelope kept on `subject` (a wildcard is fine), oldest first."""
    found: list[dict[str, Any]] = []
    seq = 1
    while True:
        try:
            msg = await js.get_msg(TRANSFER.name, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return found
        with contextlib.suppress(ValueError):  # not an envelope: the audit writer dead-letters it, we skip it
            found.append({**json.loads(msg.data or b"{}"), "_subject": msg.subject})
        seq = (msg.seq or seq) + 1


async def statuses(js: JetStreamContext, transfer_id: str | None = None) -> list[dict[str, Any]]:
    """The CDMO's status reports (data of TransferStatusReported), oldest first, for one transfer or all."""
    found = [m["data"] for m in await messages(js, subjects.transfer_subject("cdmo", "status"))
             if isinstance(m.get("data"), dict)]
    return [s for s in found if transfer_id is None or s.get("transfer_id") == transfer_id]
