"""Finding the deviation an OpenDeviation command already opened, so a repeat never opens a second one.

The QMS takes no idempotency key, so the command carries its own: mapping qms/open_deviation ends the
description with `[gxplink command <command id>]`, which the QMS keeps and reports in the snapshot of
the deviation's `create` change. Before CreateDeviation, the change feed is searched for a deviation
created by gxplink's web-service account whose description carries that marker; found, its id is the
answer and nothing is created. This covers an answer lost after the QMS acted (timeout, malformed
reply, a crash before the reply was recorded), within one delivery (tenacity) and across redeliveries.

Where to search: from a horizon fixed at the command's first execution, the change-feed cursor of
this adapter at that moment. That cursor never passes changes the QMS has not written yet, so the
deviation (created later) lies after it; the horizon is persisted (idempotency store, first writer
wins) so a redelivery after the feed moved on still searches from the same place. The search reads
only what the feed follower has not yet read, plus what came since: usually a page.

Limit: a CreateDeviation still in flight inside the QMS when the search runs (the QMS acts after the
client timed out) is not seen; a QMS-side idempotency key would be needed to close that gap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.qms.api import QmsApi
from storage.idempotency import IdempotencyStore


def marker(command_id: str) -> str:
    return f"[gxplink command {command_id}]"


class OpenedDeviations:
    def __init__(self, client: QmsApi, horizons: IdempotencyStore, position: Callable[[], Awaitable[int]],
                 page_size: int = 200) -> None:
        self.client, self.horizons, self.position, self.page_size = client, horizons, position, page_size

    async def find(self, command_id: str) -> str | None:
        """The id of the deviation this command opened, if the QMS holds one."""
        after, text = await self._horizon(command_id), marker(command_id)
        while True:
            page = await self.client.changes(after, self.page_size)
            for change in page.records:
                if self._opened_by_us(change, text):
                    return str(change["recordId"])
                after = max(after, int(change["changeSeq"]))
            if not page.has_more or not page.records:
                return None

    def _opened_by_us(self, change: dict[str, Any], text: str) -> bool:
        deviation = change.get("deviation") or {}
        return (change.get("recordType") == "deviation" and change.get("action") == "create"
                and text in str(deviation.get("description") or "")
                and (self.client.username is None or change.get("changedBy") == self.client.username))

    async def _horizon(self, command_id: str) -> int:
        key = f"qms.open_deviation.horizon:{command_id}"
        seen, stored = await self.horizons.outcome(key)
        if not seen:
            after = await self.position()
            if await self.horizons.record(key, {"after": after}):
                return after
            seen, stored = await self.horizons.outcome(key)  # another execution fixed it first
        return int(stored["after"])
