"""DeltaV-specific Prometheus metrics, registered beside the framework's on the adapter's own registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge


class DeltaVMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.dropped = Counter("gxplink_deltav_notifications_dropped_total", "Live OPC UA notifications dropped "
                               "because the inbox was full (recovered by HistoryRead backfill and a resync)",
                               registry=registry)
        self.backfilled = Counter("gxplink_deltav_backfilled_total", "Process value samples published from "
                                  "HistoryRead after a gap", registry=registry)
        self.backfill_failures = Counter("gxplink_deltav_backfill_failures_total", "PVs whose history could not "
                                         "be read after a gap", registry=registry)
        self.deadband_skipped = Counter("gxplink_deltav_deadband_skipped_total", "Samples within the deadband of "
                                        "the last published value (not published)", registry=registry)
        self.inbox_depth = Gauge("gxplink_deltav_inbox_depth", "Notifications waiting for translation",
                                 registry=registry)
        self.session_up = Gauge("gxplink_deltav_session_up", "1 while subscribed to DeltaV", registry=registry)

    def watch(self, depth: Callable[[], int], up: Callable[[], bool]) -> None:
        self.inbox_depth.set_function(lambda: float(depth()))
        self.session_up.set_function(lambda: 1.0 if up() else 0.0)
