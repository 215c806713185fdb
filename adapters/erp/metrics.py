"""The ERP adapter's own metric, beside the framework's: feed records skipped on purpose, by type."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter

from adapters.framework.metrics import AdapterMetrics

_COUNTERS: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def skipped_records(metrics: AdapterMetrics) -> Counter:
    """One counter per adapter registry (an adapter rebuilt on the same ports reuses it)."""
    counter = _COUNTERS.get(metrics.registry)
    if counter is None:
        counter = Counter("gxplink_feed_records_skipped_total", "Change-feed records with no canonical event, "
                          "skipped on purpose", ["system", "type"], registry=metrics.registry)
        _COUNTERS[metrics.registry] = counter
    return counter
