"""Console actions become AuditRecorded envelopes on gxp.audit.console, readable by the audit writer."""

from __future__ import annotations

import pytest

from console.actions import ConsoleAudit
from orchestrator.audit.ingest import parse
from tests.unit.console.fakes import FakePublisher

pytestmark = pytest.mark.unit


@pytest.mark.requirement("P11-001")
async def test_an_action_is_published_as_a_canonical_audit_record(publisher: FakePublisher) -> None:
    record_id = await ConsoleAudit(publisher.as_publisher()).record(
        user_id="aaron", action="create", target_type="user", target_id="alice", reason="new analyst",
        changes={"role": (None, "qa"), "name": ("Old", "Alice")})
    [(subject, payload, headers)] = publisher.sent
    assert subject == "gxp.audit.console"
    envelope = parse(payload)  # exactly how the audit writer reads it
    [record] = publisher.records()
    assert record.record_id == record_id == envelope.id == headers["Nats-Msg-Id"]
    assert (record.user_id, record.service_id, record.source_user) == ("aaron", "console", None)
    assert (record.action, record.target_type, record.target_id, record.reason) == ("create", "user", "alice",
                                                                                    "new analyst")
    assert {c.field: (c.old, c.new) for c in record.changes} == {"role": (None, "qa"), "name": ("Old", "Alice")}
    assert (record.source_system, record.adapter) == ("gxplink", "console")
    assert envelope.actor == "user:aaron;service:console" and envelope.subject == "user/alice"
    assert envelope.correlationid is None and headers["ce-type"] == envelope.type


async def test_an_unknown_typed_user_is_a_source_user_never_a_user_id(publisher: FakePublisher) -> None:
    """A failed login names no person who acted; what was typed is kept, but not as an identity."""
    await ConsoleAudit(publisher.as_publisher()).record(user_id=None, typed_user="mallory", action="login_failed",
                                                        target_type="console_session", target_id="mallory")
    [record] = publisher.records()
    assert (record.user_id, record.source_user, record.service_id) == (None, "mallory", "console")
    assert parse(publisher.sent[0][1]).actor == "service:console"


async def test_typed_user_is_cut_to_what_the_record_holds(publisher: FakePublisher) -> None:
    await ConsoleAudit(publisher.as_publisher()).record(user_id=None, typed_user="x" * 500, action="login_failed",
                                                        target_type="console_session", target_id="x" * 500)
    [record] = publisher.records()
    assert record.source_user == "x" * 200 and record.target_id == "x" * 200


async def test_empty_reason_and_typed_user_are_left_out(publisher: FakePublisher) -> None:
    await ConsoleAudit(publisher.as_publisher()).record(user_id="aaron", typed_user="", reason="", action="login",
                                                        target_type="console_session", target_id="aaron")
    [record] = publisher.records()
    assert record.reason is None and record.source_user is None and record.changes == ()


async def test_a_batch_correlation_becomes_the_envelopes_correlation_id(publisher: FakePublisher) -> None:
    """So the record shows on the batch's timeline and board row."""
    await ConsoleAudit(publisher.as_publisher()).record(user_id="quinn", action="sign", target_type="task",
                                                        target_id="T-1", correlation={"batch_id": "B-1"})
    [record] = publisher.records()
    assert record.correlation.batch_id == "B-1"
    assert parse(publisher.sent[0][1]).correlationid == "B-1" == publisher.sent[0][2]["ce-correlationid"]


async def test_every_record_has_its_own_id(publisher: FakePublisher) -> None:
    audit = ConsoleAudit(publisher.as_publisher())
    ids = {await audit.record(user_id="aaron", action="audit_search", target_type="audit_trail", target_id="B-1")
           for _ in range(3)}
    assert len(ids) == 3 and {h["Nats-Msg-Id"] for _, _, h in publisher.sent} == ids


async def test_any_user_id_accounts_accept_can_be_recorded(publisher: FakePublisher) -> None:
    await ConsoleAudit(publisher.as_publisher()).record(user_id="bob smith", action="login",
                                                        target_type="console_session", target_id="bob smith")
    assert publisher.actions() == ["login"]


@pytest.mark.parametrize("typed", ["a\nb", "x" * 199 + " y"])
async def test_anything_typed_as_a_user_id_can_be_recorded(publisher: FakePublisher, typed: str) -> None:
    await ConsoleAudit(publisher.as_publisher()).record(user_id=None, typed_user=typed, action="login_failed",
                                                        target_type="console_session", target_id=typed)
    assert publisher.actions() == ["login_failed"]
