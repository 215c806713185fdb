"""How an OML^O21 becomes a LIMS order (ids, test codes) and why one is refused."""

from __future__ import annotations

import pytest

from simulators.lims.catalog import seed_catalog
from simulators.lims.hl7v2 import parse
from simulators.lims.inbound import header_errors
from simulators.lims.mllp import Frame
from simulators.lims.oml import read_order

pytestmark = pytest.mark.unit

MSH = "MSH|^~\\&|MES|CAM|LIMS|CAM|20250101||OML^O21^OML_O21|C1|P|2.5.1"


def order(*segments: str):
    return read_order(parse("\r".join([MSH, *segments])), seed_catalog())


def test_ids_come_from_orc_obr_and_spm() -> None:
    request, errors = order("ORC|NW|PO-1||B-24-001", "NTE|1|P|order note", "OBR|1|PO-1||VIAB^Viability^L",
                            "NTE|1|P|line \\T\\ note", "ORC|NW|PO-2||B-24-001", "OBR|1|PO-2||8124-0^CD3^LN",
                            "ORC|NW|PO-3", "OBR|1|PO-3||X1^Local^99X^33825-6^Viab^LN", "SPM|1|S-9^F-9||CTP^Cells^L")
    assert errors == []
    assert (request.placer_order, request.batch_id, request.sample_id) == ("PO-1", "B-24-001", "S-9")
    assert [(ln.placer_order, ln.tests) for ln in request.lines] == [("PO-1", ["VIAB"]), ("PO-2", ["CD3"]),
                                                                     ("PO-3", ["VIAB"])]
    assert request.comments == ["order note"] and request.lines[0].comments == ["line & note"]


def test_panel_and_fallback_ids() -> None:
    request, errors = order("ORC|NW|PO-9", "OBR|1|PO-9||CART19-REL", "SPM|1|^F-7&LIMS|B-PARENT")
    assert errors == [] and len(request.lines[0].tests) == 8
    assert (request.sample_id, request.batch_id) == ("F-7", "B-PARENT")


@pytest.mark.parametrize("segments, code, location", [
    (["ORC|NW|PO-1", "OBR|1|PO-1||54089-8^NBS panel^LN"], "103", ("OBR", 1, 4)),
    (["ORC|NW|PO-1", "OBR|1|PO-1||VIAB", "OBR|2|PO-1"], "101", ("OBR", 2, 4)),
    (["OBR|1|PO-1||VIAB"], "100", ("OBR", 1)),
    (["ORC|XO|PO-1", "OBR|1|PO-1||VIAB"], "103", ("ORC", 1, 1)),
    (["ORC|NW", "OBR|1|||VIAB"], "101", ("ORC", 1, 2)),
])
def test_what_the_lims_refuses_and_where(segments: list[str], code: str, location: tuple) -> None:
    _, errors = order(*segments)
    assert (errors[0].code, errors[0].location) == (code, location)


@pytest.mark.parametrize("text, started, code", [
    (MSH.replace("2.5.1", "2.4"), True, "203"),
    (MSH.replace("|P|", "|Q|"), True, "202"),
    (MSH.replace("|C1|", "||"), True, "101"),
    (MSH, False, "100"),
    ("OBR|1", True, "100"),
])
def test_header_checks(text: str, started: bool, code: str) -> None:
    [error] = header_errors(parse(text), Frame(text.encode(), started))
    assert error.code == code
