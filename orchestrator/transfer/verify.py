"""Verification of a received package: every reason to refuse it, each naming the broken link.

Checks run on the JSON document as received, not on a re-serialised model, so a package that fails
the schema still gets its hash and signature checked, and a tampered field is reported as such.
Integrity comes first (hash, e-signature, seal), then content (schema, consistency, units).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from orchestrator.audit.keys import Verifier
from orchestrator.transfer.checks import consistency_problems, unit_problems
from orchestrator.transfer.package import RECORD_TYPE, TransferPackage, content_hash, parse_document, sealed_message
from orchestrator.transfer.problems import Problem, from_validation_error


def _hash_problems(doc: dict[str, Any]) -> list[Problem]:
    claimed = doc.get("content_hash")
    if not claimed:
        return [Problem("unsealed", "content_hash", "the package has no content hash: it was never sealed")]
    actual = content_hash(doc)
    problems = []
    if actual != claimed:
        problems.append(Problem("hash_mismatch", "content_hash",
                                f"content changed after sealing: its sha256 is {actual}, the package states {claimed}"))
    definition = doc.get("definition")
    inner = definition.get("content_hash") if isinstance(definition, dict) else None
    if inner is not None and inner != claimed:
        problems.append(Problem("hash_mismatch", "definition.content_hash",
                                f"{inner} differs from the package content_hash {claimed}"))
    return problems


def _approval_problems(doc: dict[str, Any]) -> list[Problem]:
    approval = doc.get("approval")
    if not isinstance(approval, dict):
        return [Problem("unsealed", "approval", "no approver e-signature: the package was not approved")]
    problems = []
    if approval.get("record_hash") != doc.get("content_hash"):
        problems.append(Problem("e_signature", "approval.record_hash",
                                f"the e-signature is not linked to this content: it signs "
                                f"{approval.get('record_hash')!r}, the content hash is {doc.get('content_hash')!r}"))
    if approval.get("record_type") != RECORD_TYPE or approval.get("record_id") != doc.get("transfer_id"):
        problems.append(Problem("e_signature", "approval.record_id",
                                f"the e-signature is for {approval.get('record_type')!r} {approval.get('record_id')!r},"
                                f" not {RECORD_TYPE!r} {doc.get('transfer_id')!r}"))
    if approval.get("meaning") != "approved":
        problems.append(Problem("e_signature", "approval.meaning",
                                f"meaning is {approval.get('meaning')!r}; a transfer needs 'approved'"))
    return problems


def _seal_problems(doc: dict[str, Any], trusted: Verifier, hash_ok: bool) -> list[Problem]:
    seal, approval = doc.get("seal"), doc.get("approval")
    if not isinstance(seal, dict):
        return [Problem("unsealed", "seal", "no instance signature: the package was not sealed")]
    if not isinstance(approval, dict) or not isinstance(seal.get("signature"), str):
        return [Problem("signature", "seal.signature", "nothing verifiable: signature or e-signature missing")]
    message = sealed_message(str(doc.get("content_hash")), approval)
    if trusted.verify(seal["signature"], message):
        if seal.get("key_id") != trusted.key_id:
            return [Problem("signature", "seal.key_id", f"altered: states {seal.get('key_id')!r}, the signature "
                                                         f"verifies with the trusted key {trusted.key_id!r}")]
        return []
    if seal.get("key_id") != trusted.key_id:
        return [Problem("signature", "seal", f"sealed with key {seal.get('key_id')!r}, not with the trusted "
                                             f"sponsor key {trusted.key_id!r}: wrong or unknown sender key")]
    altered = "the e-signature or the signature" if hash_ok else "the content hash, the e-signature or the signature"
    return [Problem("signature", "seal.signature",
                    f"does not verify with the trusted sponsor key: {altered} was altered after sealing")]


def _content_problems(doc: dict[str, Any]) -> list[Problem]:
    try:
        package = TransferPackage.model_validate(doc)
    except ValidationError as error:
        return from_validation_error(error) + unit_problems(doc.get("definition"), "definition")
    return consistency_problems(package.definition, "definition.")


def verify(package: TransferPackage | bytes, trusted_public_key: Ed25519PublicKey) -> list[Problem]:
    """Every reason to refuse `package` (file bytes or model); empty when it can be imported."""
    if isinstance(package, TransferPackage):
        doc = package.model_dump(mode="json")
    else:
        parsed, problems = parse_document(package)
        if parsed is None:
            return problems
        doc = parsed
    trusted = Verifier(trusted_public_key)
    hash_problems = _hash_problems(doc)
    return (hash_problems + _approval_problems(doc) + _seal_problems(doc, trusted, not hash_problems)
            + _content_problems(doc))
