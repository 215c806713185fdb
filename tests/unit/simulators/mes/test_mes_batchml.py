"""The BatchML V0700 export validates against MESA's schema (B2MML is used courtesy of MESA International)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from simulators.mes import batches, records
from simulators.mes.batchml import batch_production_record
from simulators.mes.history import seed_history
from simulators.mes.store import MesStore
from tests.support.corpora import corpus

pytestmark = pytest.mark.unit

def xsd() -> Path:
    return corpus("mesa-b2mml-batchml/Schema-V0700/BatchML-BatchProductionRecord.xsd")
NS = {"b": "http://www.mesa.org/xml/B2MML"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd())))


def _export(store: MesStore, batch_id: str) -> etree._Element:
    names = {u["id"]: u["name"] for u in store.data["users"]}
    xml = batch_production_record(store.batch(batch_id), store.feed.for_batch(batch_id), store.audit.entries,
                                  names, store.now())
    return etree.fromstring(xml)


def test_historical_batch_exports_valid_batchml(store: MesStore, schema: etree.XMLSchema) -> None:
    seed_history(store, 42)
    doc = _export(store, "CART-2025-0001")
    assert schema.validate(doc), schema.error_log
    assert doc.findtext("b:LotID", namespaces=NS) == "L-CART-2025-0001"
    assert doc.findtext("b:RecordStatus", namespaces=NS) == "completed"
    subtypes = {e.text for e in doc.iterfind("b:Events/b:Event/b:EventSubType", NS)}
    assert {"State Change", "Parameter Data", "Consume", "Security"} <= subtypes
    results = doc.findall("b:Samples/b:Sample/b:SampleTest/b:SampleTestResult", NS)
    assert len(results) == 8 and all(r.findtext("b:TestDisposition", namespaces=NS) == "conforms" for r in results)


def test_held_batch_with_loose_results_and_odd_text_stays_valid(store: MesStore, schema: etree.XMLSchema) -> None:
    batches.create_batch(store, "B1", "MR-CART19", None)
    batches.transition(store, "B1", "release", None, None)
    batches.transition(store, "B1", "start", None, None)
    records.pull_sample(store, "B1", None, "in_process", ["MYCO"], None, "jdoe", None,
                        {"value": 2.0, "unit": "mL"})
    records.record_qc_summary(store, "B1", [
        {"test_code": "ENDO", "sample_id": None, "value": 0.4, "text": None, "unit": "[EU]/mL", "conforms": True}],
        None, None)
    batches.transition(store, "B1", "hold", None, "pH excursion <7.0> & \u00b5 \u20ac text")
    records.attach_reference(store, "B1", "QMS", "deviation", "DEV-2026-0009", "hold cause", None)
    doc = _export(store, "B1")
    assert schema.validate(doc), schema.error_log
    assert doc.findtext("b:RecordStatus", namespaces=NS) == "on_hold"
    assert "DEV-2026-0009" in [e.text for e in doc.iterfind("b:Events/b:Event/b:ExternalReference", NS)]
    assert doc.find("b:Samples/b:Sample[b:EntryID='QC-B1']/b:SampleTest/b:SampleTestResult", NS) is not None
