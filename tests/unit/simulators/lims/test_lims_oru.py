"""Results are deterministic under the seed, flagged against the specification, and valid HL7 v2.5.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from simulators.lims.acks import Hl7Error, Peer, ack
from simulators.lims.catalog import reference_range, seed_catalog
from simulators.lims.oru import build_oru
from simulators.lims.results import measure, result_record

pytestmark = pytest.mark.unit

TESTS = seed_catalog()["tests"]
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_the_same_seed_gives_the_same_results_and_conforming_values() -> None:
    runs = [{c: measure(t, 42, "ORD-000001") for c, t in TESTS.items()} for _ in range(2)]
    assert runs[0] == runs[1] != {c: measure(t, 7, "ORD-000001") for c, t in TESTS.items()}
    assert all(result_record(TESTS[c], v, NOW.isoformat(), "qc.rpatel")["flag"] == "N" for c, v in runs[0].items())


@pytest.mark.parametrize("code, flag, spec", [("VIAB", "L", ">=70"), ("VCN", "H", "<=5"), ("TNC", "L", "100-1000"),
                                              ("MYCO", "A", "Not detected")])
def test_forced_oos_values_are_flagged(code: str, flag: str, spec: str) -> None:
    record = result_record(TESTS[code], measure(TESTS[code], 42, "ORD-1", oos=True), NOW.isoformat(), "qc.rpatel")
    assert (record["flag"], reference_range(TESTS[code])) == (flag, spec)


def _order() -> dict:
    results = {c: result_record(t, measure(t, 42, "ORD-1", c == "ENDO"), NOW.isoformat(), "qc.rpatel")
               for c, t in TESTS.items()}
    return {"order_id": "ORD-1", "batch_id": "B-1", "sample_id": "S-1", "comments": ["a | b"], "results": results,
            "lines": [{"code": "CART19-REL", "tests": list(TESTS), "placer_order": "PO-1", "comments": []}]}


def test_the_oru_and_the_ack_validate_with_hl7apy() -> None:
    oru = build_oru(_order(), seed_catalog(), {"application": "MES", "facility": "CAM"}, "LIMS00000001", NOW)
    assert parse_message(oru, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()
    nak = ack(Peer("MES", "CAM", "C1", "P", "O21"), "AE", "LIMS00000002", NOW,
              [Hl7Error("103", "unknown test code X | Y", ("OBR", 1, 4))])
    assert parse_message(nak, validation_level=VALIDATION_LEVEL.STRICT).validate()
    assert "ERR||OBR^1^4|103^Table value not found^HL70357|E||||unknown test code X \\F\\ Y" in nak


def test_a_correction_carries_only_the_corrected_test() -> None:
    order = _order()
    order["results"]["ENDO"] = {**order["results"]["ENDO"], "status": "C", "notes": ["Corrected: 6 -> 0.4"]}
    oru = build_oru(order, seed_catalog(), {}, "LIMS00000003", NOW, only="ENDO")
    obx = [s for s in oru.split("\r") if s.startswith("OBX")]
    assert len(obx) == 1 and obx[0].split("|")[11] == "C" and "|||C" in oru.split("\r")[2]
