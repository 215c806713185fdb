"""MES command handlers against the in-memory MES: rendered by the outbound mappings, "already done" is success."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.mes.api import MesProblem
from adapters.mes.commands import MesCommands
from adapters.mes.fake import FakeMesClient
from canonical_model.commands.mes import (
    AttachExternalReference,
    HoldBatch,
    ProvisionMasterRecipe,
    RecordQcSummary,
    ResumeBatch,
)
from canonical_model.envelope import Envelope
from canonical_model.test_result import TestResult
from mappings.engine.catalog import Catalog
from messaging.errors import PermanentError, RetryableError

pytestmark = pytest.mark.unit


def wrap(command: Any) -> Envelope[Any]:
    return Envelope.wrap(command, source="/test", actor="service:test", sourcesystem="gxplink")


def result(analyte: str, value: float | None = None, text: str | None = None, oos: bool = False) -> TestResult:
    return TestResult(result_id=f"R-{analyte}", order_id="ORD-1", sample_id="SMP-1", analyte=analyte, value=value,
                      unit="%" if value is not None else None, text_value=text, status="final",
                      out_of_specification=oos, observed_at="2026-11-22T20:40:00Z", performed_by="qc.rpatel")


def running(fake: FakeMesClient, batch_id: str = "B1") -> str:
    fake.create_batch(batch_id)
    fake.batches[batch_id]["state"] = "in_execution"
    return batch_id


@pytest.fixture
def commands(catalog: Catalog, fake: FakeMesClient) -> MesCommands:
    return MesCommands(catalog, fake)


async def test_hold_posts_the_rendered_transition(commands: MesCommands, fake: FakeMesClient) -> None:
    running(fake)
    outcome = await commands.hold(wrap(HoldBatch(batch_id="B1", reason="pH excursion", deviation_id="DEV-9")))
    assert fake.calls == [("transition", "B1", {"action": "hold", "reason": "pH excursion [deviation DEV-9]"})]
    assert fake.batches["B1"]["state"] == "on_hold" and outcome.references["mes_state"] == "on_hold"


async def test_a_hold_on_a_held_batch_is_success_not_an_error(commands: MesCommands, fake: FakeMesClient) -> None:
    running(fake)
    await commands.hold(wrap(HoldBatch(batch_id="B1", reason="first")))
    outcome = await commands.hold(wrap(HoldBatch(batch_id="B1", reason="again")))
    assert "already on_hold" in (outcome.detail or "") and len(fake.calls) == 1


async def test_a_hold_the_lifecycle_refuses_is_permanent_with_the_problem(commands: MesCommands,
                                                                          fake: FakeMesClient) -> None:
    fake.create_batch("B1")  # created, not running
    with pytest.raises(MesProblem) as caught:
        await commands.hold(wrap(HoldBatch(batch_id="B1", reason="r")))
    assert caught.value.code == "invalid-transition" and "state 'created'" in caught.value.detail


async def test_resume_and_a_repeated_resume(commands: MesCommands, fake: FakeMesClient) -> None:
    running(fake)
    await commands.hold(wrap(HoldBatch(batch_id="B1", reason="r")))
    await commands.resume(wrap(ResumeBatch(batch_id="B1", reason="deviation closed")))
    again = await commands.resume(wrap(ResumeBatch(batch_id="B1", reason="deviation closed")))
    assert fake.batches["B1"]["state"] == "in_execution" and "already" in (again.detail or "")
    assert [c[2]["action"] for c in fake.calls] == ["hold", "resume"]


async def test_an_unknown_batch_is_permanent(commands: MesCommands) -> None:
    with pytest.raises(PermanentError, match="no batch 'NOPE'"):
        await commands.hold(wrap(HoldBatch(batch_id="NOPE", reason="r")))


async def test_a_qc_summary_is_recorded_once(commands: MesCommands, fake: FakeMesClient) -> None:
    running(fake)
    command = wrap(RecordQcSummary(batch_id="B1", all_within_specification=False,
                                   results=(result("VIABILITY", 88.0), result("STERILITY", text="No growth"),
                                            result("ENDOTOXIN", 6.2, oos=True))))
    first = await commands.record_qc_summary(command)
    again = await commands.record_qc_summary(command)  # e.g. the first answer was lost
    body = fake.calls[0][2]
    assert [r["test_code"] for r in body["results"]] == ["VIAB", "STER", "ENDO"]
    assert [r["conforms"] for r in body["results"]] == [True, True, False]
    assert len(fake.calls) == 1 and first.references == again.references
    assert "already holds" in (again.detail or "")


async def test_an_analyte_the_mes_has_no_code_for_is_refused_before_sending(commands: MesCommands,
                                                                            fake: FakeMesClient) -> None:
    running(fake)
    command = wrap(RecordQcSummary(batch_id="B1", all_within_specification=True,
                                   results=(result("KARYOTYPE", text="Normal"),)))
    with pytest.raises(PermanentError, match="mes_qc_test_codes"):
        await commands.record_qc_summary(command)
    assert fake.calls == []


async def test_a_reference_attached_twice_is_success_with_the_same_id(commands: MesCommands,
                                                                      fake: FakeMesClient) -> None:
    running(fake)
    command = wrap(AttachExternalReference(batch_id="B1", system="qms", reference_type="deviation",
                                           reference_id="DEV-9", url="https://qms/DEV-9"))
    first = await commands.attach_reference(command)
    again = await commands.attach_reference(command)
    assert fake.calls == [("reference", "B1", {"system": "QMS", "type": "deviation", "reference": "DEV-9",
                                               "description": "https://qms/DEV-9"})]
    assert first.references == again.references and "already attached" in (again.detail or "")


async def test_a_system_the_mes_has_no_code_for_is_refused(commands: MesCommands, fake: FakeMesClient) -> None:
    running(fake)
    with pytest.raises(PermanentError, match="mes_reference_systems"):
        await commands.attach_reference(wrap(AttachExternalReference(
            batch_id="B1", system="deltav", reference_type="lot", reference_id="L-1")))


async def test_a_down_mes_is_retryable(commands: MesCommands, fake: FakeMesClient) -> None:
    running(fake)
    fake.down = True
    with pytest.raises(RetryableError):
        await commands.hold(wrap(HoldBatch(batch_id="B1", reason="r")))


async def test_without_a_mes_every_command_fails_permanently(catalog: Catalog) -> None:
    with pytest.raises(PermanentError, match="GXPLINK_MES_URL"):
        await MesCommands(catalog, None).hold(wrap(HoldBatch(batch_id="B1", reason="r")))


def test_every_mes_command_has_a_handler(commands: MesCommands) -> None:
    assert set(commands.handlers()) == {c.ce_type() for c in (HoldBatch, ResumeBatch, RecordQcSummary,
                                                               AttachExternalReference, ProvisionMasterRecipe)}
