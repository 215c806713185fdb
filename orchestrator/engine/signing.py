"""Electronic signatures on human tasks (21 CFR Part 11 §11.50, §11.70, §11.100, §11.200).

Signing re-authenticates the signer (user id and password, checked against an argon2 hash), checks
the signer's role and the meaning against the task, and links the signature to the signed record
by its hash. The signature is stored once per task and published as SignatureRecorded, so it is in
the audit trail with its manifestation: printed name, time, meaning.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from canonical_model.envelope import Envelope
from canonical_model.events.gxplink import SignatureRecorded
from canonical_model.ids import deterministic_id
from canonical_model.signature import ElectronicSignature
from messaging.publisher import Publisher
from orchestrator.engine.accounts import AccountError, Accounts
from orchestrator.engine.store import WorkflowStore


class SigningError(Exception):
    """Signing refused: wrong credentials, role or meaning, or the task is already signed."""


class Signer:
    def __init__(self, store: WorkflowStore, publisher: Publisher) -> None:
        self.store, self.publisher = store, publisher

    async def add_user(self, user_id: str, name: str, role: str, password: str) -> bool:
        try:
            return await Accounts(self.store.engine).add(user_id, name, role, password)
        except AccountError as exc:
            raise SigningError(str(exc)) from None

    async def _authenticate(self, user_id: str, password: str) -> dict[str, Any]:
        try:
            return await Accounts(self.store.engine).authenticate(user_id, password)
        except AccountError:
            raise SigningError("re-authentication failed") from None

    async def sign(self, task_id: str, user_id: str, password: str, meaning: str,
                   reason: str | None = None) -> ElectronicSignature:
        task = await self.store.task(task_id)
        if task is None:
            raise SigningError(f"no task {task_id}")
        user = await self._authenticate(user_id, password)
        if user["role"] != task["role"]:
            raise SigningError(f"{user_id} has role {user['role']}; this task needs {task['role']}")
        if meaning not in task["meanings"]:
            raise SigningError(f"meaning {meaning!r} is not allowed here; choose {', '.join(task['meanings'])}")
        signature = ElectronicSignature(
            signature_id=deterministic_id("signature", task_id), signer_id=user_id, signer_name=user["name"],
            meaning=meaning, signed_at=datetime.now(UTC), record_type=task["record_type"],
            record_id=task["record_id"], record_hash=task["record_hash"], reason=reason)
        if not await self.store.add_signature(task_id, signature.model_dump(mode="json")):
            raise SigningError(f"task {task_id} is already signed")
        instance = await self.store.instance(task["instance_id"])
        envelope = Envelope.wrap(SignatureRecorded(signature=signature), id=deterministic_id("signed", task_id),
                                 source="/gxplink/orchestrator/signatures", actor=f"user:{user_id}",
                                 sourcesystem="gxplink", subject=f"{task['record_type']}/{task['record_id']}",
                                 correlationid=instance["business_key"] if instance else None)
        await self.publisher.publish(envelope)
        return signature
