"""MFN^M08/M09 into the LIMS's specifications, tests and methods: posted whole or not at all, audited, answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.common.base import SimContext
from simulators.lims.catalog import reference_range
from simulators.lims.hl7v2 import parse
from simulators.lims.mllp import Frame
from simulators.lims.results import measure, result_record
from simulators.lims.server import LimsSimulator

pytestmark = pytest.mark.unit
M08 = ["MSH|^~\\&|GXPLINK|CAM|LIMS|CAM-QC|20261123090000+0000||MFN^M08^MFN_M08|C-{n}|P|2.5.1",
       "MFI|OMA^Numerical observation master^HL70175||UPD|||AL"]
M09 = ["MSH|^~\\&|GXPLINK|CAM|LIMS|CAM-QC|20261123090000+0000||MFN^M09^MFN_M09|C-{n}|P|2.5.1",
       "MFI|OMB^Categorical observation master^HL70175||UPD|||AL"]
OM1 = "OM1|1|{code}^{code}^L|NM|Y|CAM-QC|||||||||{method}||||A"


def numeric(change: str, spec: str, version: int, code: str, low: str, high: str = "", unit: str = "%",
            method: str = "") -> list[str]:
    return [f"MFE|MAD|{change}||{spec}~{version}~{code}^{code}^L|ST~NM~CE", OM1.format(code=code, method=method),
            f"OM2|1|{unit}^^UCUM||||{low}&{high}"]


@pytest.fixture
def lims(tmp_path: Path) -> LimsSimulator:
    return LimsSimulator(SimContext("lims", tmp_path))


def send(lims: LimsSimulator, header: list[str], *records: list[str], n: int = 1) -> list[list[str]]:
    text = "\r".join([header[0].format(n=n), *header[1:], *(line for r in records for line in r)]) + "\r"
    answer = lims.inbound.answer(Frame(text.encode(), True))
    assert answer is not None
    return [s.fields for s in parse(answer).segments]


def segment(answer: list[list[str]], name: str) -> list[list[str]]:
    return [s for s in answer if s[0] == name]


def test_a_new_version_of_the_release_spec_moves_the_limits_results_use(lims: LimsSimulator) -> None:
    answer = send(lims, M08, numeric("TT-1/1", "SPEC-CART19-REL", 3, "VIAB", "75"),
                  numeric("TT-1/2", "SPEC-CART19-REL", 3, "VCC", "0.5", "5", "10*6/mL", "TM-CC^Cell count"))
    assert answer[0][9] == "MFK^M08^MFK_M01" and segment(answer, "MSA")[0][1:3] == ["AA", "C-1"]
    assert [m[2] for m in segment(answer, "MFA")] == ["TT-1/1", "TT-1/2"]
    assert all(m[4].startswith("S^") for m in segment(answer, "MFA"))
    assert segment(answer, "MFA")[0][5] == "SPEC-CART19-REL~3~VIAB^VIAB^L"
    catalog = lims.store.catalog
    assert catalog["specification"]["version"] == 3 and catalog["tests"]["VIAB"]["lo"] == 75.0
    assert reference_range(catalog["tests"]["VIAB"]) == ">=75"
    vcc = catalog["tests"]["VCC"]
    assert (vcc["method_id"], vcc["unit"], vcc["lo"], vcc["hi"]) == ("TM-CC", "10*6/mL", 0.5, 5.0)
    record = result_record(vcc, measure(vcc, 42, "ORD-1"), "2026-11-23T10:00:00+00:00", "qc.rpatel")
    assert record["flag"] == "N" and record["range"] == "0.5-5"
    entries = [e for e in lims.ctx.audit.entries if e.user == "interface:GXPLINK"]
    assert {(e.action, e.record_type, e.record_id) for e in entries} >= {
        ("create", "specification", "SPEC-CART19-REL/v3/VIAB"), ("update", "test", "VIAB"),
        ("update", "specification", "SPEC-CART19-REL"), ("create", "test", "VCC"), ("create", "method", "TM-CC")}
    assert all(e.reason and "MFN^M08 C-1" in e.reason for e in entries)
    before = len(lims.ctx.audit.entries)
    again = send(lims, M08, numeric("TT-1/1", "SPEC-CART19-REL", 3, "VIAB", "75"), n=2)  # a repeat changes nothing
    assert segment(again, "MSA")[0][1] == "AA" and len(lims.ctx.audit.entries) == before


def test_other_specifications_are_kept_and_text_criteria_come_by_m09(lims: LimsSimulator) -> None:
    answer = send(lims, M09, ["MFE|MAD|TT-2/1||SPEC-IPC~1~MYCO^MYCO^L|ST~NM~CE",
                              OM1.format(code="MYCO", method="TM-MYCO^qPCR").replace("|NM|", "|ST|"),
                              "OM3|1|||^Not detected|||ST"])
    assert segment(answer, "MSA")[0][1] == "AA"
    specs = lims.store.catalog["specifications"]
    assert specs["SPEC-IPC"]["versions"]["1"]["limits"]["MYCO"] == {"unit": None, "lo": None, "hi": None,
                                                                   "text_spec": "Not detected"}
    assert lims.store.catalog["specification"]["version"] == 2  # the release spec in force is untouched


@pytest.mark.parametrize(("records", "code", "reason"), [
    ([numeric("TT-3/1", "SPEC-CART19-REL", 2, "VIAB", "60")], "205", "holds other limits for VIAB"),
    ([numeric("TT-3/1", "SPEC-CART19-REL", 1, "KARYO", "1", method="TM-K^Karyotype")], "206", "superseded"),
    ([numeric("TT-3/1", "SPEC-NEW", 1, "KARYO", "1")], "204", "unknown test KARYO"),
    ([numeric("TT-3/1", "SPEC-NEW", 1, "VIAB", "abc")], "102", "'abc' is not a number"),
    ([numeric("TT-3/1", "SPEC-NEW", 1, "VIAB", "")], "101", "needs a unit"),
    ([["MFE|MDL|TT-3/1||VIAB^VIAB^L|CE", OM1.format(code="VIAB", method="")]], "103", "send MAD or MUP"),
    ([["MFE|MAD|TT-3/1||X~VIAB^VIAB^L|ST~CE", OM1.format(code="VIAB", method="")]], "102", "MFE-4/5 key"),
    ([numeric("TT-3/1", "SPEC-NEW", 1, "VIAB", "1"), numeric("TT-3/2", "SPEC-NEW", 1, "VIAB", "2")], "205",
     "also the key of change TT-3/1"),
])
def test_one_bad_record_refuses_the_whole_message(lims: LimsSimulator, records: list[list[str]], code: str,
                                                  reason: str) -> None:
    good = numeric("TT-3/0", "SPEC-NEW", 1, "CD3", "80")
    before = len(lims.ctx.audit.entries)
    answer = send(lims, M08, good, *records)
    msa, (err, *_) = segment(answer, "MSA")[0], segment(answer, "ERR")
    assert msa[1] == "AE" and err[3].split("^")[0] == code and reason in err[8], err
    assert segment(answer, "MFA")[0][4] == "U^not posted: the message was refused for another record^HL70181"
    assert "SPEC-NEW" not in lims.store.catalog["specifications"] and len(lims.ctx.audit.entries) == before


@pytest.mark.parametrize(("header", "reason"), [
    (["MSH|^~\\&|G|C|L|C|20260101||MFN^M08^MFN_M08|C-{n}|P|2.5.1", "MFI|OMB||UPD|||AL"], "not OMB"),
    (["MSH|^~\\&|G|C|L|C|20260101||MFN^M08^MFN_M08|C-{n}|P|2.5.1", "MFI|OMA||REP|||AL"], "send UPD"),
    (["MSH|^~\\&|G|C|L|C|20260101||MFN^M08^MFN_M08|C-{n}|P|2.5.1"], "MFI segment is required"),
])
def test_a_file_it_does_not_keep_is_refused(lims: LimsSimulator, header: list[str], reason: str) -> None:
    answer = send(lims, header, numeric("TT-4/1", "SPEC-NEW", 1, "VIAB", "1"))
    assert segment(answer, "MSA")[0][1] == "AE" and reason in segment(answer, "ERR")[0][8]


def test_other_master_files_are_unsupported_events(lims: LimsSimulator) -> None:
    answer = send(lims, ["MSH|^~\\&|G|C|L|C|20260101||MFN^M02^MFN_M02|C-{n}|P|2.5.1"])
    assert segment(answer, "MSA")[0][1] == "AR" and segment(answer, "ERR")[0][3].startswith("201")


def test_the_response_level_decides_which_mfa_come_back(lims: LimsSimulator) -> None:
    header = [M08[0], M08[1].replace("|AL", "|NE")]
    answer = send(lims, header, numeric("TT-5/1", "SPEC-NEW", 1, "VIAB", "1"))
    assert segment(answer, "MSA")[0][1] == "AA" and segment(answer, "MFA") == []
