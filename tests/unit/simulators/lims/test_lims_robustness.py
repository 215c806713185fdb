"""Whatever arrives in a frame, the LIMS answers with an ACK (or, for an ACK, nothing) and never raises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.common.base import SimContext
from simulators.lims.hl7v2 import parse
from simulators.lims.mllp import Frame
from simulators.lims.server import LimsSimulator

pytestmark = pytest.mark.unit

VALID = ("MSH|^~\\&|MES|CAM|LIMS|CAM|20250101||OML^O21^OML_O21|C1|P|2.5.1\rORC|NW|PO-1||B-1\r"
         "OBR|1|PO-1||VIAB^Viability^L\rNTE|1|P|a \\F\\ b\rSPM|1|S-1\r")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> LimsSimulator:
    simulator = LimsSimulator(SimContext("lims", tmp_path_factory.mktemp("lims-fuzz")))
    simulator.store.settings["auto_results"] = False  # no event loop here for the result timers
    return simulator


def check(sim: LimsSimulator, payload: bytes, started: bool = True) -> None:
    reply = sim.inbound.answer(Frame(payload, started))
    if reply is None:
        assert parse(payload.decode("latin-1")).msh is not None  # only an ACK goes unanswered
        return
    msg = parse(reply)
    assert msg.msh is not None and msg.msh.get(9, 1) in ("ACK", "RSP")
    msa = msg.first("MSA")
    assert msa is not None and msa.get(1) in ("AA", "AE", "AR")
    assert msa.get(1) == "AA" or msg.first("ERR") is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300), started=st.booleans())
def test_random_bytes(sim: LimsSimulator, payload: bytes, started: bool) -> None:
    check(sim, payload, started)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 4),
                                st.sampled_from("|^~\\&\r\nMSH0 \x0b")), max_size=6))
def test_mutated_orders(sim: LimsSimulator, edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    check(sim, text.encode())
