"""Electronic signatures on human tasks: linked to the signed record by its hash, given once, only by
the role the task needs, with a meaning the task allows, after re-authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from orchestrator.engine import accounts
from orchestrator.engine.signing import Signer, SigningError
from orchestrator.engine.store import WorkflowStore
from storage.engine import default_url, make_engine

pytestmark = pytest.mark.unit
RECORD_HASH = "e01732908dfe716ca09c19fc7dab2dc2a15f8e5a90c86bb3531c2e6c16fa040b"
PASSWORD = "correct horse battery"


class Published:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def publish(self, envelope: Any) -> None:
        self.sent.append(envelope)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts._dummy_hash.cache_clear()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(default_url(tmp_path))
    yield engine
    await engine.dispose()


@pytest.fixture
async def signer(engine: AsyncEngine) -> Signer:
    store = WorkflowStore(engine)
    await store.create_schema()
    await store.create_instance(id="wf-1", workflow="batch_release", version=2, business_key="B-1", input={})
    for task_id, record in (("task-lot", "L-B-1"), ("task-other", "L-B-2")):
        await store.add_task(id=task_id, instance_id="wf-1", seq=7, step="qa release", title=f"Release {record}",
                             role="qa", record_type="lot", record_id=record, record_hash=RECORD_HASH,
                             meanings=["approved", "rejected"])
    signing = Signer(store, Published())  # type: ignore[arg-type]
    await signing.add_user("qa.one", "Quinn One (QA)", "qa", PASSWORD)
    await signing.add_user("op.one", "Oscar One", "operator", PASSWORD)
    return signing


@pytest.mark.requirement("P11-006", "P11-005")
async def test_a_signature_carries_the_hash_of_its_record_and_is_given_once(signer: Signer) -> None:
    signature = await signer.sign("task-lot", "qa.one", PASSWORD, "approved", reason="all in specification")
    assert (signature.record_type, signature.record_id, signature.record_hash) == ("lot", "L-B-1", RECORD_HASH)
    assert (signature.signer_name, signature.meaning) == ("Quinn One (QA)", "approved") and signature.signed_at
    stored = await signer.store.signature("task-lot")
    assert stored is not None and stored["record_hash"] == RECORD_HASH and stored["record_id"] == "L-B-1"
    (published,) = signer.publisher.sent  # type: ignore[attr-defined]
    assert published.data.signature == signature and published.correlationid == "B-1"
    with pytest.raises(SigningError, match="already signed"):
        await signer.sign("task-lot", "qa.one", PASSWORD, "approved")
    other = await signer.sign("task-other", "qa.one", PASSWORD, "approved")
    assert other.signature_id != signature.signature_id and other.record_id == "L-B-2", "one signature per record"


@pytest.mark.requirement("P11-007", "P11-008")
async def test_signing_needs_the_password_the_role_and_an_allowed_meaning(signer: Signer) -> None:
    with pytest.raises(SigningError, match="re-authentication failed"):
        await signer.sign("task-lot", "qa.one", PASSWORD + "!", "approved")
    with pytest.raises(SigningError, match="re-authentication failed"):
        await signer.sign("task-lot", "nobody", PASSWORD, "approved")
    with pytest.raises(SigningError, match="has role operator; this task needs qa"):
        await signer.sign("task-lot", "op.one", PASSWORD, "approved")
    with pytest.raises(SigningError, match="not allowed here"):
        await signer.sign("task-lot", "qa.one", PASSWORD, "authored")
    assert await signer.store.signature("task-lot") is None, "nothing was signed by the refused attempts"
    assert not await signer.add_user("qa.one", "Someone Else", "qa", PASSWORD), "a user id is never reused"
