"""Prometheus metrics every adapter exposes, labelled by system, as operators expect.

One registry per adapter instance, so several adapters in one process (`gxplink up`) and tests
never collide on metric names.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class AdapterMetrics:
    def __init__(self, system: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ["system"]
        self.messages_in = Counter("gxplink_messages_in_total", "Source messages received", labels,
                                   registry=self.registry).labels(system)
        self.events_out = Counter("gxplink_events_published_total", "Canonical events acknowledged by JetStream",
                                  labels, registry=self.registry).labels(system)
        self.duplicates = Counter("gxplink_duplicates_total", "Publishes JetStream recognised as duplicates",
                                  labels, registry=self.registry).labels(system)
        self.dead_letters = Counter("gxplink_dead_letters_total", "Inputs sent to the dead-letter stream",
                                    labels, registry=self.registry).labels(system)
        self.commands = Counter("gxplink_commands_total", "Commands executed, by outcome", [*labels, "outcome"],
                                registry=self.registry)
        self.reconnects = Counter("gxplink_reconnects_total", "Reconnections to the legacy system", labels,
                                  registry=self.registry).labels(system)
        self.consumer_lag = Gauge("gxplink_consumer_lag", "Commands waiting in the durable consumer", labels,
                                  registry=self.registry).labels(system)
        buckets = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        self.latency = Histogram("gxplink_inbound_seconds", "Source message to JetStream acknowledgement",
                                 labels, registry=self.registry, buckets=buckets).labels(system)
        self.system = system

    def command(self, outcome: str) -> None:
        self.commands.labels(self.system, outcome).inc()
