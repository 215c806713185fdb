"""The transfer package: a process definition, hashed, approved by a person and sealed by an instance.

Three links make it verifiable by another organisation holding only the sponsor's public key:
content -> `content_hash` (sha256 of canonical JSON without hash, e-signature and seal);
`content_hash` -> `approval.record_hash` (21 CFR 11.70: the e-signature is bound to this content);
(`content_hash`, `approval`) -> `seal` (Ed25519 signature of the sponsor instance).
Times are passed in, never read from the clock, so sealing is deterministic and replayable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import Field, ValidationError

from canonical_model.base import CanonicalModel, Identifier, UtcDateTime
from canonical_model.process_definition import SHA256_HEX, ProcessDefinition
from canonical_model.signature import ElectronicSignature, SignatureMeaning
from orchestrator.audit.canonical import canonical_json
from orchestrator.audit.keys import Signer, key_id
from orchestrator.transfer.problems import Problem, ProblemsError, from_validation_error

FORMAT: Final = "gxplink.transfer-package/v1"
RECORD_TYPE = "process_definition_package"
SEAL_FIELDS = frozenset({"content_hash", "approval", "seal"})


class InstanceSeal(CanonicalModel):
    """The sending instance's signature over the content hash and the approver's e-signature."""

    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$", description="First 16 hex of sha256 of the raw public key")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$", description="Ed25519 signature, hex")


class TransferPackage(CanonicalModel):
    """What crosses from sponsor to CDMO, as a file or as a message."""

    format: Literal["gxplink.transfer-package/v1"] = FORMAT
    transfer_id: Identifier = Field(description="Id both sides' audit trails carry, e.g. TT-2026-0001")
    sponsor_site: Identifier = Field(description="Sending site")
    created_at: UtcDateTime = Field(description="When the package was built")
    version: int = Field(ge=1, description="Package version (the definition's version unless stated)")
    definition: ProcessDefinition
    content_hash: str | None = Field(default=None, pattern=SHA256_HEX, description="sha256 hex of the content")
    approval: ElectronicSignature | None = Field(default=None, description="The sponsor approver's e-signature")
    seal: InstanceSeal | None = Field(default=None, description="The sponsor instance's signature")


def content_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed part of a dumped package: everything but hash, e-signature and seal."""
    content = {key: value for key, value in document.items() if key not in SEAL_FIELDS}
    if isinstance(content.get("definition"), dict):
        content["definition"] = {k: v for k, v in content["definition"].items() if k != "content_hash"}
    return content


def content_hash(package: TransferPackage | Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of the content; the same for a model and its file form."""
    document = package.model_dump(mode="json") if isinstance(package, TransferPackage) else package
    return hashlib.sha256(canonical_json(content_of(document)).encode("utf-8")).hexdigest()


def sealed_message(hash_hex: str, approval: Mapping[str, Any]) -> bytes:
    """The bytes the instance signs: the content hash and the e-signature, canonical JSON."""
    return canonical_json({"approval": dict(approval), "content_hash": hash_hex}).encode("utf-8")


def build_package(definition: ProcessDefinition, *, transfer_id: str, sponsor_site: str, created_at: datetime,
                  version: int | None = None) -> TransferPackage:
    """An unsealed package; `seal` hashes, approves and signs it."""
    return TransferPackage(transfer_id=transfer_id, sponsor_site=sponsor_site, created_at=created_at,
                           version=version or definition.version, definition=definition)


def seal(package: TransferPackage, *, signer_id: str, signer_name: str, signed_at: datetime,
         private_key: Ed25519PrivateKey, meaning: SignatureMeaning = "approved",
         reason: str | None = None) -> TransferPackage:
    """Approve (status 'approved' when the meaning is), hash, e-sign and seal with the instance key."""
    status = "approved" if meaning == "approved" else package.definition.status
    unsigned = package.model_copy(update={
        "definition": package.definition.model_copy(update={"status": status, "content_hash": None}),
        "content_hash": None, "approval": None, "seal": None})
    digest = content_hash(unsigned)
    approval = ElectronicSignature(
        signature_id=f"ESIG-{digest[:16]}", signer_id=signer_id, signer_name=signer_name, meaning=meaning,
        signed_at=signed_at, record_type=RECORD_TYPE, record_id=package.transfer_id, record_hash=digest,
        reason=reason)
    signer = Signer(private_key)
    instance_seal = InstanceSeal(key_id=key_id(private_key.public_key()),
                                 signature=signer.sign(sealed_message(digest, approval.model_dump(mode="json"))))
    # Re-validated (not model_copy) so the result is exactly what from_bytes would give back.
    return TransferPackage.model_validate({
        **unsigned.model_dump(), "content_hash": digest, "approval": approval, "seal": instance_seal,
        "definition": unsigned.definition.model_copy(update={"content_hash": digest})})


def to_bytes(package: TransferPackage) -> bytes:
    """The file form: indented, sorted-key JSON (its hash does not depend on the layout)."""
    text = json.dumps(package.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_document(data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The JSON object of a package file, or an `unreadable` problem saying why not."""
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as error:
        return None, [Problem("unreadable", "", f"not a JSON package: {error}")]
    if not isinstance(document, dict):
        return None, [Problem("unreadable", "", f"a package is a JSON object, not {type(document).__name__}")]
    return document, []


def from_bytes(data: bytes) -> TransferPackage:
    """Parse a package file; `ProblemsError` lists every schema problem by field path."""
    document, problems = parse_document(data)
    if document is None:
        raise ProblemsError(problems)
    try:
        return TransferPackage.model_validate(document)
    except ValidationError as error:
        raise ProblemsError(from_validation_error(error)) from None


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    """The sponsor's public key as the CDMO stores it (SubjectPublicKeyInfo PEM)."""
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key
