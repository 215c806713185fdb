"""Material consumption against the MES lot view, samples, QC summaries, external references."""

from __future__ import annotations

import pytest

from simulators.mes import batches, records
from simulators.mes.errors import Conflict, Unprocessable
from simulators.mes.store import MesStore

pytestmark = pytest.mark.unit


@pytest.fixture
def running(store: MesStore) -> str:
    batches.create_batch(store, "B1", "MR-CART19", None)
    batches.transition(store, "B1", "release", None, None)
    batches.transition(store, "B1", "start", None, None)
    return "B1"


def test_consumption_decrements_the_lot_and_is_fed_and_audited(store: MesStore, running: str) -> None:
    record = records.consume(store, running, "MED-24-330", "MAT-MED", 5.0, "L", None, "jdoe")
    assert store.lot("MED-24-330")["remaining"] == 55.0 and record["consumed_by"] == "jdoe"
    assert store.feed.records[-1]["type"] == "material_consumed"
    assert any(e.record_id == "MED-24-330" and (e.old, e.new) == (60.0, 55.0) for e in store.audit.entries)


@pytest.mark.parametrize(("lot", "material", "quantity", "unit", "error", "match"), [
    ("MED-24-331", "MAT-MED", 1.0, "L", Conflict, "quarantine"),
    ("MED-24-330", "MAT-LVV", 1.0, "L", Unprocessable, "is MAT-MED"),
    ("MED-24-330", "MAT-MED", 1.0, "mL", Unprocessable, "managed in"),
    ("MED-24-330", "MAT-MED", 61.0, "L", Conflict, "holds"),
    ("NOPE-1", "MAT-MED", 1.0, "L", Unprocessable, "no lot"),
])
def test_consumption_rules(store: MesStore, running: str, lot: str, material: str, quantity: float, unit: str,
                           error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        records.consume(store, running, lot, material, quantity, unit, None, None)


def test_released_lot_status_makes_a_lot_usable(store: MesStore, running: str) -> None:
    records.set_lot_status(store, "MED-24-331", "released", "QC released the lot", None)
    assert records.consume(store, running, "MED-24-331", "MAT-MED", 1.0, "L", None, None)["lot"] == "MED-24-331"
    assert store.feed.records[-2]["type"] == "lot_status_changed"


def test_consumption_needs_a_running_batch_and_an_active_step(store: MesStore, running: str) -> None:
    with pytest.raises(Conflict, match="not in progress"):
        records.consume(store, running, "LVV-24-017", "MAT-LVV", 2.0, "mL", "PH-0401", None)
    with pytest.raises(Unprocessable, match="no step"):
        records.consume(store, running, "LVV-24-017", "MAT-LVV", 2.0, "mL", "PH-9999", None)
    batches.transition(store, running, "hold", None, "hold")
    with pytest.raises(Conflict, match="on_hold"):
        records.consume(store, running, "LVV-24-017", "MAT-LVV", 2.0, "mL", None, None)


def test_samples_qc_summaries_and_references(store: MesStore, running: str) -> None:
    with pytest.raises(Unprocessable, match="unknown test codes"):
        records.pull_sample(store, running, None, "release", ["VIAB", "XYZ"], None, "jdoe", None, None)
    sample = records.pull_sample(store, running, None, "release", ["VIAB", "STER"], None, "jdoe", None, None)
    assert sample["sample_id"] == "SMP-B1-01" and sample["lot"] == "L-B1"
    with pytest.raises(Conflict):
        records.pull_sample(store, running, "SMP-B1-01", "retain", ["VIAB"], None, "jdoe", None, None)
    summary = records.record_qc_summary(store, running, [
        {"test_code": "VIAB", "sample_id": "SMP-B1-01", "value": 88.0, "text": None, "unit": "%", "conforms": True},
        {"test_code": "STER", "sample_id": None, "value": None, "text": "Growth", "unit": None, "conforms": False},
    ], "LIMS-1", None)
    assert summary["all_conform"] is False and summary["recorded_by"] == "svc-integration"
    ref = records.attach_reference(store, running, "QMS", "deviation", "DEV-2026-0001", None, None)
    assert ref["reference_id"].startswith("XREF-")
    with pytest.raises(Conflict):
        records.attach_reference(store, running, "QMS", "deviation", "DEV-2026-0001", None, None)
    assert [r["type"] for r in store.feed.records[-3:]] == [
        "sample_pulled", "qc_summary_recorded", "external_reference_attached"]
