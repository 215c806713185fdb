"""`gxplink mappings check|test|apply` as an IT engineer runs them."""

import json
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.corpora import corpus

pytestmark = pytest.mark.e2e
def cdc() -> Path:
    return corpus("cdc-trusted-intermediary/examples")


def test_check_and_golden_tests_pass() -> None:
    check = run("mappings", "check")
    assert check.returncode == 0, check.stderr
    assert "0 error(s)" in check.stdout
    tested = run("mappings", "test")
    assert tested.returncode == 0, tested.stdout
    assert " 0 failed" in tested.stdout


def test_apply_chooses_the_mapping_from_msh9_and_prints_envelopes() -> None:
    result = run("mappings", "apply", "--system", "lims", str(cdc() / "CA" / "002_CA_ORU_R01.hl7"))
    assert result.returncode == 0, result.stderr
    envelopes = json.loads(result.stdout)
    assert len(envelopes) > 100
    assert {e["type"] for e in envelopes} == {"io.gxplink.evt.lims.test_result_recorded.v1"}
    assert {e["mapping"] for e in envelopes} == {"lims/oru_r01@1"}
    assert len({e["id"] for e in envelopes}) == len(envelopes)


@pytest.mark.parametrize(
    ("name", "says"),
    [("Test/Message/empty.hl7", "must start with an MSH segment"),
     ("Test/Message/msh_present_but_missing_msh-2.hl7", "MSH-2"),
     ("MN/005_MN_ADT_A01.hl7", "no mapping for ADT^A01")],
)
def test_apply_refuses_with_a_precise_error_and_no_traceback(name: str, says: str) -> None:
    result = run("mappings", "apply", "--system", "lims", str(cdc() / name))
    assert result.returncode == 1
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_apply_by_name_renders_an_outbound_order(tmp_path: Path) -> None:
    command = {"specversion": "1.0", "id": "cmd-1", "source": "/t", "type": "io.gxplink.cmd.lims.place_test_order.v1",
               "time": "2026-11-22T10:15:00Z", "actor": "service:t", "sourcesystem": "gxplink",
               "data": {"placer_order_id": "PO-1", "sample_id": "S-1", "sample_type": "in_process",
                        "tests": ["VCN"]}}
    path = tmp_path / "command.json"
    path.write_text(json.dumps(command))
    result = run("mappings", "apply", "lims/place_test_order", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[4] == "OBR|1|PO-1^GXPLINK||VCN^VCN^L"


def test_usage_errors_exit_2() -> None:
    assert run("mappings", "apply").returncode == 2
