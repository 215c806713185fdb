"""Electronic batch record steps, parameters and signatures."""

from __future__ import annotations

import pytest

from simulators.mes import batches, steps
from simulators.mes.errors import Conflict, Forbidden, Unprocessable
from simulators.mes.operator import Operator
from simulators.mes.store import MesStore

pytestmark = pytest.mark.unit


@pytest.fixture
def running(store: MesStore) -> str:
    batches.create_batch(store, "B1", "MR-CART19", None)
    batches.transition(store, "B1", "release", None, None)
    batches.transition(store, "B1", "start", None, None)
    return "B1"


def test_steps_run_in_order_only_while_executing(store: MesStore, running: str) -> None:
    with pytest.raises(Conflict, match="PH-0101"):
        steps.start_step(store, running, "PH-0201", "jdoe")
    steps.start_step(store, running, "PH-0101", "jdoe")
    batches.transition(store, running, "hold", None, "investigation")
    with pytest.raises(Conflict, match="on_hold"):
        steps.record_parameter(store, running, "PH-0101", "Receipt temperature", 4.1, "Cel", "jdoe", None)


def test_parameters_check_name_unit_range_and_corrections(store: MesStore, running: str) -> None:
    steps.start_step(store, running, "PH-0101", "jdoe")
    with pytest.raises(Unprocessable, match=r"recorded in .Cel."):
        steps.record_parameter(store, running, "PH-0101", "Receipt temperature", 39.0, "[degF]", "jdoe", None)
    with pytest.raises(Unprocessable, match="no parameter"):
        steps.record_parameter(store, running, "PH-0101", "Colour", 1.0, "1", "jdoe", None)
    with pytest.raises(Conflict, match="still needs"):
        steps.complete_step(store, running, "PH-0101", "jdoe")
    step = steps.record_parameter(store, running, "PH-0101", "Receipt temperature", 9.5, "Cel", "jdoe", None)
    assert step["parameters"][0]["in_range"] is False
    with pytest.raises(Conflict, match="correction needs a reason"):
        steps.record_parameter(store, running, "PH-0101", "Receipt temperature", 4.2, "Cel", "jdoe", None)
    steps.record_parameter(store, running, "PH-0101", "Receipt temperature", 4.2, "Cel", "jdoe", "typo")
    last = store.audit.entries[-1]
    assert (last.action, last.old, last.new, last.reason) == ("correct", 9.5, 4.2, "typo")


def test_critical_steps_need_a_second_person(store: MesStore, running: str, operator: Operator) -> None:
    steps.start_step(store, running, "PH-0101", "jdoe")
    steps.record_parameter(store, running, "PH-0101", "Receipt temperature", 4.0, "Cel", "jdoe", None)
    with pytest.raises(Conflict, match="in_progress"):
        steps.sign_off(store, running, "PH-0101", "jdoe", "performed", None)
    steps.complete_step(store, running, "PH-0101", "jdoe")
    with pytest.raises(Conflict, match="performed"):
        steps.sign_off(store, running, "PH-0101", "asmith", "verified", None)
    signature = steps.sign_off(store, running, "PH-0101", "jdoe", "performed", None)
    assert len(signature["record_hash"]) == 64 and signature["name"] == "Jane Doe"
    with pytest.raises(Conflict, match="cannot also sign"):
        steps.sign_off(store, running, "PH-0101", "jdoe", "verified", None)
    with pytest.raises(Forbidden):
        steps.sign_off(store, running, "PH-0101", "qc.rpatel", "verified", None)
    with pytest.raises(Conflict, match="verified before review"):
        steps.sign_off(store, running, "PH-0101", "qa.mlee", "reviewed", None)
    steps.sign_off(store, running, "PH-0101", "asmith", "verified", "checked label and temperature")
    with pytest.raises(Conflict, match="already signed"):
        steps.sign_off(store, running, "PH-0101", "sup.kchen", "verified", None)
    with pytest.raises(Forbidden):
        steps.sign_off(store, running, "PH-0101", "asmith", "reviewed", None)
    steps.sign_off(store, running, "PH-0101", "qa.mlee", "reviewed", None)
    assert operator.advance(running)["step_id"] == "PH-0201"


def test_operator_is_deterministic_under_a_seed(store: MesStore, running: str) -> None:
    values = []
    for seed in (7, 7, 8):
        operator = Operator(store, seed)
        values.append([operator._value("B1", "PH-0501", p) for p in store.batch("B1")["steps"][4]["parameters"]])
    assert values[0] == values[1] != values[2]
    assert all(p["lo"] <= v <= p["hi"] for v, p in zip(values[0], store.batch("B1")["steps"][4]["parameters"],
                                                        strict=True))
