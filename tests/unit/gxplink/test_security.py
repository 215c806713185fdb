"""The grants `--secure` gives each component, derived from the subjects and consumers they use."""

from __future__ import annotations

import itertools

import pytest

from adapters.framework.commands import command_consumer
from canonical_model import subjects
from gxplink.security import AUDIT_WRITER, AUDITOR, ORCHESTRATOR, SYSTEMS, adapter_identity, grants
from messaging.auth import Grant

TABLE = grants()


def grant(name: str) -> Grant:
    found = TABLE[name]
    assert found is not None
    return found


@pytest.mark.requirement("URS-007", "P11-008")
@pytest.mark.parametrize("system, other", list(itertools.permutations(SYSTEMS, 2)))
def test_an_adapter_speaks_only_for_its_own_system(system: str, other: str) -> None:
    mine = grant(adapter_identity(system))
    assert mine.may_publish(subjects.event_subject(system, "anything"))
    assert mine.may_publish(subjects.audit_subject(system))
    assert not mine.may_publish(subjects.event_subject(other, "anything"))
    assert not mine.may_publish(subjects.command_subject(system, "anything"))  # nor orders its own system about
    assert not mine.may_publish(subjects.audit_subject(other))
    theirs = command_consumer(other)
    assert not mine.may_publish(f"$JS.API.CONSUMER.MSG.NEXT.{theirs.stream}.{theirs.durable}")
    assert not mine.may_subscribe(subjects.command_subject(other, "anything"))
    assert not mine.may_subscribe(subjects.replay_subject(other))


def test_the_audit_writer_reads_everything_and_publishes_only_its_dead_letters_and_findings() -> None:
    writer = grant(AUDIT_WRITER)
    gxp = [p for p in writer.publish if p.startswith(f"{subjects.ROOT}.")]
    assert gxp == [subjects.dead_letter_subject("audit"),
                   subjects.event_subject("gxplink", "data_integrity_issue_detected")]
    assert not any(p.startswith("$JS.API.STREAM.") and "INFO" not in p for p in writer.publish)


def test_the_orchestrator_commands_every_system_but_speaks_only_as_gxplink() -> None:
    orchestrator = grant(ORCHESTRATOR)
    assert all(orchestrator.may_publish(subjects.command_subject(s, "x")) for s in SYSTEMS)
    assert orchestrator.may_publish(subjects.event_subject("gxplink", "workflow_completed"))
    assert not any(orchestrator.may_publish(subjects.event_subject(s, "x")) for s in SYSTEMS)


@pytest.mark.requirement("URS-007")
def test_the_auditor_reads_and_never_writes() -> None:
    auditor = grant(AUDITOR)
    assert auditor.may_subscribe(subjects.ALL_EVENTS) and auditor.may_subscribe(subjects.ALL_COMMANDS)
    assert not any(p.startswith(f"{subjects.ROOT}.") for p in auditor.publish)
    writes = ("CREATE", "UPDATE", "DELETE", "PURGE", "MSG.NEXT", "MSG.DELETE", "$JS.ACK")
    assert not any(w in p for p in auditor.publish for w in writes)


def test_only_the_operator_is_unrestricted() -> None:
    assert [name for name, g in TABLE.items() if g is None] == ["admin"]
