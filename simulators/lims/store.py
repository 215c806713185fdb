"""The LIMS database: catalog, settings, receiver, orders with results, the outbound queue and counters.

One JSON document under the data dir (written atomically after every change), so a restart keeps
orders, results and, above all, messages not yet acknowledged by the receiver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from simulators.common.state import JsonState
from simulators.lims.catalog import seed_catalog
from simulators.reference import SITE

DEFAULT_SETTINGS: dict[str, Any] = {
    "result_delay_seconds": 1.0,  # order received -> results reported (when auto_results)
    "auto_results": True,
    "ack_timeout_seconds": 5.0,  # wait for the receiver's ACK before a resend
    "max_retries": 5,  # resends after the first attempt; then the message is marked failed
    "retry_backoff_seconds": 1.0,  # doubled after every failed attempt, capped at 60 s
}
SEEN_KEEP = 1000  # inbound control ids remembered for duplicate detection


def _seed() -> dict[str, Any]:
    return {"catalog": seed_catalog(), "settings": dict(DEFAULT_SETTINGS), "orders": {}, "outbox": [], "seen": {},
            "receiver": {"url": None, "application": "MES", "facility": SITE["id"]}}


class LimsStore:
    def __init__(self, data_dir: Path) -> None:
        self._state = JsonState(data_dir / "lims.json", _seed)
        for key, value in _seed().items():
            self.data.setdefault(key, value)
        for key, value in DEFAULT_SETTINGS.items():
            self.settings.setdefault(key, value)
        for key, value in seed_catalog().items():  # master data added since the state was written
            self.catalog.setdefault(key, value)

    @property
    def data(self) -> dict[str, Any]:
        return self._state.data

    @property
    def catalog(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.data["catalog"])

    @property
    def settings(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.data["settings"])

    @property
    def receiver(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.data["receiver"])

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        return cast("dict[str, dict[str, Any]]", self.data["orders"])

    @property
    def outbox(self) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self.data["outbox"])

    def save(self) -> None:
        self._state.save()

    def next_id(self, counter: str, prefix: str, width: int = 6) -> str:
        return f"{prefix}{self._state.next_seq(counter):0{width}d}"

    def order(self, order_id: str) -> dict[str, Any]:
        """By LIMS order number or by the placer's order number (ORC-2)."""
        if order_id in self.orders:
            return self.orders[order_id]
        found = next((o for o in self.orders.values() if o.get("placer_order") == order_id), None)
        if found is None:
            raise KeyError(f"no order {order_id!r}")
        return found

    def select(self, order_id: str | None = None, sample_id: str | None = None,
               batch_id: str | None = None) -> list[dict[str, Any]]:
        if order_id:
            return [self.order(order_id)]
        if not (sample_id or batch_id):
            raise ValueError("give order_id, sample_id or batch_id")
        hits = [o for o in self.orders.values()
                if (not sample_id or o["sample_id"] == sample_id) and (not batch_id or o["batch_id"] == batch_id)]
        if not hits:
            raise KeyError(f"no order for sample {sample_id!r} / batch {batch_id!r}")
        return hits

    def seen(self, key: str) -> str | None:
        return cast("str | None", self.data["seen"].get(key))

    def remember(self, key: str, order_id: str) -> None:
        seen = self.data["seen"]
        seen[key] = order_id
        for stale in list(seen)[:-SEEN_KEEP]:
            del seen[stale]
