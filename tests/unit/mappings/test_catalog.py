"""The shipped mappings: every one loads, has golden tests beside it, and they pass."""

import pytest

from mappings.engine.catalog import MAPPINGS_ROOT, check_catalog, load_catalog, mapping_files
from mappings.engine.golden import golden_file, run_golden

pytestmark = pytest.mark.unit


@pytest.mark.requirement("FRS-002")
def test_every_shipped_mapping_loads_without_error() -> None:
    catalog, errors = check_catalog()
    assert errors == []
    assert len(catalog.mappings) == len(mapping_files(MAPPINGS_ROOT)) >= 4


@pytest.mark.requirement("FRS-002")
def test_every_mapping_has_a_golden_file_and_all_cases_pass() -> None:
    catalog = load_catalog()
    for path in catalog.files.values():
        assert golden_file(path).exists(), f"{path} has no golden test file"
    results = run_golden(catalog)
    failures = [f"{r.mapping} :: {r.case}: {r.detail}" for r in results if not r.ok]
    assert failures == []
    assert len(results) >= 2 * len(catalog.mappings)


@pytest.mark.requirement("FRS-002")
def test_every_produced_event_names_its_mapping_and_version() -> None:
    catalog = load_catalog()
    mapping = catalog.get("lims/oru_r01")
    raw = (b"MSH|^~\\&|L|C|G|C|20261122101500||ORU^R01|M9|P|2.5.1\rOBR|1|P|F|X\r"
           b"OBX|1|NM|VIAB||90|%|||||F|||20261122101500||qc\r")
    (translation,) = mapping.translate(raw)  # type: ignore[union-attr]
    envelope = translation.envelope(source="/test", system="lims", actor="service:test")
    assert envelope.mapping == "lims/oru_r01@1"
