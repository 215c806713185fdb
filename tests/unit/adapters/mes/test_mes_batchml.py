"""BatchML V0700 batch production records: validated against the packaged MESA schemas, summarised on import.

The Business To Manufacturing Markup Language (B2MML) is used courtesy of MESA International.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from adapters.mes import batchml
from simulators.common.audit import NativeAuditTrail
from simulators.common.clock import SimClock
from simulators.mes.batchml import batch_production_record
from simulators.mes.history import seed_history
from simulators.mes.store import MesStore
from tests.support.corpora import corpus

pytestmark = pytest.mark.unit
HISTORICAL = "CART-2025-0001"


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The MES simulator's export of its seeded, completed and reviewed batch."""
    data = tmp_path_factory.mktemp("mes")
    clock = SimClock()
    store = MesStore(data, clock, NativeAuditTrail(data / "audit.jsonl", clock), "svc-integration")
    seed_history(store, 42)
    names = {u["id"]: u["name"] for u in store.data["users"]}
    return batch_production_record(store.batch(HISTORICAL), store.feed.for_batch(HISTORICAL), store.audit.entries,
                                   names, store.now())


def test_an_mes_export_is_valid_and_summarised(record: bytes) -> None:
    summary: dict[str, Any] = batchml.import_record(record)
    assert (summary["batch_id"], summary["product"], summary["lot_id"], summary["status"]) == (
        HISTORICAL, "CART-19", f"L-{HISTORICAL}", "completed")
    assert summary["specification"] == "MR-CART19 v3" and summary["record_id"] == f"BPR-{HISTORICAL}"
    assert len(summary["steps"]) == 8 and summary["steps"][0]["step_id"] == "PH-0101"
    assert all(s["equipment_id"] and s["first_event_at"] <= s["last_event_at"] for s in summary["steps"])
    meanings = {s["meaning"] for s in summary["signatures"]}
    assert meanings == {"performed", "verified", "reviewed"} and len(summary["signatures"]) == 23
    first = summary["signatures"][0]
    assert first["signer_id"] == "jdoe" and first["signer_name"] == "Jane Doe" and first["step_id"] == "PH-0101"
    assert len(summary["consumptions"]) == 7 and len(summary["samples"]) == 2
    assert summary["events"] > 60 and summary["changes"] > 60


def test_a_cut_off_document_is_malformed(record: bytes) -> None:
    with pytest.raises(batchml.MalformedBatchRecord, match="not well-formed"):
        batchml.validate(record[: len(record) // 2])


def test_a_schema_violation_names_the_line(record: bytes) -> None:
    broken = record.replace(b"<RecordStatus>", b"<Bogus>x</Bogus><RecordStatus>", 1)
    with pytest.raises(batchml.InvalidBatchRecord) as caught:
        batchml.validate(broken)
    assert not isinstance(caught.value, batchml.MalformedBatchRecord)
    assert caught.value.errors and re.match(r"line \d+: .*Bogus", caught.value.errors[0])


def test_only_a_batch_production_record_is_taken() -> None:
    other = b'<BatchInformation xmlns="http://www.mesa.org/xml/B2MML"><ID>X</ID></BatchInformation>'
    with pytest.raises(batchml.InvalidBatchRecord, match="not a B2MML BatchProductionRecord"):
        batchml.validate(other)


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<BatchProductionRecord xmlns="http://www.mesa.org/xml/B2MML"><ID>&x;</ID><EntryID>E</EntryID>'
           '<ObjectType>Batch Production Record</ObjectType><BatchID>&x;</BatchID></BatchProductionRecord>').encode()
    with pytest.raises(batchml.InvalidBatchRecord, match="DOCTYPE") as caught:
        batchml.import_record(xml)
    assert "TOP-SECRET" not in str(caught.value)


def test_the_schemas_ship_with_the_package_and_stand_alone() -> None:
    folder = batchml.SCHEMA_DIR
    assert folder.parent == Path(batchml.__file__).parent and batchml.ROOT_SCHEMA.exists()
    for xsd in folder.glob("*.xsd"):
        for location in re.findall(r'schemaLocation\s*=\s*"([^"]+)"', xsd.read_text()):
            assert (folder / location).exists(), f"{xsd.name} needs {location}, which is not packaged"
    attribution = "The Business To Manufacturing Markup Language (B2MML) is used courtesy of MESA International."
    assert attribution in (folder / "PROVENANCE.md").read_text()
    assert "MESA International" in (folder / "LICENSE").read_text()
    assert batchml.schema() is batchml.schema()  # compiled once


def test_the_packaged_schemas_are_mesa_s_files_unchanged() -> None:
    original = corpus("mesa-b2mml-batchml/Schema-V0700")
    for xsd in batchml.SCHEMA_DIR.glob("*.xsd"):
        assert xsd.read_bytes() == (original / xsd.name).read_bytes(), xsd.name
