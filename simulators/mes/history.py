"""The completed batch an MES has on its first day with gxplink: recorded through the normal business
rules, with timestamps from a clock that runs through a past manufacturing campaign.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from simulators import reference
from simulators.common.clock import SimClock
from simulators.mes import batches, records
from simulators.mes.operator import Operator
from simulators.mes.seed import HISTORICAL_BATCH, HISTORICAL_START
from simulators.mes.store import MesStore


class HistoricClock(SimClock):
    """A past moment that moves on by `tick` per recorded change, so all stamps of one change agree."""

    def __init__(self, start: datetime, tick: timedelta, progress: Callable[[], int]) -> None:
        super().__init__()
        self.start, self.tick, self.progress = start, tick, progress

    def now(self) -> datetime:
        return self.start + self.tick * self.progress()


def seed_history(store: MesStore, seed: int) -> None:
    clock = HistoricClock(datetime.fromisoformat(HISTORICAL_START), timedelta(minutes=17),
                          lambda: store.feed.last_seq)
    operator = Operator(store, seed)
    with store.clock_override(clock), store.deferred_save():
        batch = batches.create_batch(store, HISTORICAL_BATCH, reference.MASTER_RECIPE["id"], "sup.kchen")
        records.attach_reference(store, HISTORICAL_BATCH, "ERP", "production_order", "PO-1000001",
                                 "production order of the batch", None)
        operator.complete(HISTORICAL_BATCH)
        samples = {code: s["sample_id"] for s in batch["samples"] for code in s["test_codes"]}
        results = [{"test_code": t["code"], "sample_id": samples.get(t["code"]), "value": t["typical"]
                    if isinstance(t["typical"], float) else None, "text": t["typical"]
                    if isinstance(t["typical"], str) else None, "unit": t["unit"], "conforms": True}
                   for t in reference.RELEASE_TESTS]
        records.record_qc_summary(store, HISTORICAL_BATCH, results, "LIMS-ORD-2025-0001", None)
        operator.review(HISTORICAL_BATCH)
