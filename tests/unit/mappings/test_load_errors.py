"""Mapping mistakes fail when the mapping is loaded, with file, line and a clear message."""

from typing import Any

import pytest

from mappings.engine.errors import MappingError

pytestmark = pytest.mark.unit

GOOD = """version: 1
source: {format: hl7v2, message: ORU^R01}
target: {type: io.gxplink.evt.lims.sample_received, schema_version: 1}
envelope: {key: [SPM-2.1]}
fields:
  sample.sample_id: SPM-2.1
  sample.sample_type: {const: in_process}
  sample.collected_at: {path: SPM-17, datetime: hl7}
  sample.collected_by: {const: lab}
  received_at: {path: MSH-7, datetime: hl7}
"""


def error_of(compile_mapping: Any, text: str) -> MappingError:
    with pytest.raises(MappingError) as info:
        compile_mapping(text)
    return info.value


def test_the_good_mapping_loads(compile_mapping: Any) -> None:
    assert compile_mapping(GOOD).ref == "lims/probe@1"


@pytest.mark.requirement("FRS-002")
@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("sample.collected_by: {const: lab}", "sample.collected_byy: {const: lab}"), 9, "unknown target field"),
        (("sample.sample_type: {const: in_process}", "sample.sample_type: {const: 7}"), 7, "integer value cannot fill"),
        (("  received_at: {path: MSH-7, datetime: hl7}\n", ""), 5, "required field 'received_at'"),
        (("SPM-2.1\n  sample.sample_type", "SPM-2.99.x\n  sample.sample_type"), 6, "not an HL7 v2 path"),
        (("{const: lab}", "{path: MSH-4, lookup: no_such_table}"), 9, "unknown code table"),
        (("{const: lab}", "{concat: [MSH-4, '-']}"), 9, "looks like a source path"),
        (("{const: lab}", "{const: lab, colour: red}"), 9, "unknown rule key"),
        (("version: 1", "version: one"), 1, "version: a positive integer"),
        (("io.gxplink.evt.lims.sample_received", "io.gxplink.evt.lims.sample_lost"), 3, "unknown canonical type"),
        (("envelope: {key: [SPM-2.1]}", "envelope: {}"), 4, "envelope.key"),
        (("fields:\n", "fields:\n  bad: [unclosed\n"), 7, "YAML"),
    ],
)
def test_mistakes_name_file_line_and_rule(compile_mapping: Any, change: tuple[str, str], line: int,
                                          message: str) -> None:
    error = error_of(compile_mapping, GOOD.replace(*change))
    assert error.loc is not None and error.loc.file.endswith("lims/probe.yaml")
    assert error.loc.line == line, str(error)
    assert message in error.message


def test_a_mapping_outside_its_system_folder_name_is_refused(compile_mapping: Any) -> None:
    error = error_of(compile_mapping, "mapping: mes/probe\n" + GOOD)
    assert "must start with lims/" in error.message
