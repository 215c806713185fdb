"""A fresh MES store (no seeded history) and its simulated operators, on a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.mes.operator import Operator
from simulators.mes.store import MesStore


@pytest.fixture
def store(tmp_path: Path) -> MesStore:
    clock = SimClock()
    return MesStore(tmp_path, clock, NativeAuditTrail(tmp_path / "audit.jsonl", clock), "svc-integration")


@pytest.fixture
def operator(store: MesStore) -> Operator:
    return Operator(store, seed=42)
