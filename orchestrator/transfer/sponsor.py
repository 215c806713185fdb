"""The sponsor's side of a tech transfer: seal a process from the library and share it with the CDMO.

The sponsor instance signs with its own Ed25519 key (`<data-dir>/keys/transfer-ed25519.pem`, created
once); its public half is written to `<data-dir>/transfer/sponsor-public-key.pem`, which the CDMO
trusts (it is handed over with the link file). The approver re-authenticates to sign (21 CFR 11.200).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js import JetStreamContext
from nats.js.api import PubAck
from sqlalchemy.ext.asyncio import AsyncEngine

from canonical_model import subjects
from canonical_model.envelope import Envelope
from canonical_model.events.gxplink import TransferPackageShared
from canonical_model.ids import deterministic_id
from messaging.private_files import refuse_exposed, write_private
from messaging.publisher import Publisher, headers_for
from orchestrator.engine.accounts import Accounts
from orchestrator.transfer.library import compose_process
from orchestrator.transfer.package import TransferPackage, build_package, public_key_pem, seal, to_bytes

KEY_FILE = "transfer-ed25519.pem"
PUBLIC_FILE = "sponsor-public-key.pem"
APPROVER_ROLES = ("qa", "admin")


def public_key_path(data_dir: Path) -> Path:
    return Path(data_dir).resolve() / "transfer" / PUBLIC_FILE


def instance_key(data_dir: Path) -> Ed25519PrivateKey:
    """The sponsor instance's sealing key (created on first use, never overwritten)."""
    path = Path(data_dir).resolve() / "keys" / KEY_FILE
    if path.exists():
        refuse_exposed(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
    else:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()), exclusive=True)
    public = public_key_path(data_dir)
    if not public.exists():
        public.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        public.write_bytes(public_key_pem(key.public_key()))
    return key


async def export_package(engine: AsyncEngine, data_dir: Path, *, approver: str, password: str, transfer_id: str,
                         sponsor_site: str, process_id: str = "car-t-autologous", reason: str | None = None
                         ) -> TransferPackage:
    """Compose, approve (re-authenticated) and seal a process from the bundled library."""
    user = await Accounts(engine).authenticate(approver, password)
    if user["role"] not in APPROVER_ROLES:
        raise PermissionError(f"{approver} has role {user['role']}; approving a transfer needs "
                              f"{' or '.join(APPROVER_ROLES)}")
    now = datetime.now(UTC)
    package = build_package(compose_process(process_id), transfer_id=transfer_id, sponsor_site=sponsor_site,
                            created_at=now)
    return seal(package, signer_id=user["user_id"], signer_name=user["name"], signed_at=now,
                private_key=instance_key(data_dir), meaning="approved", reason=reason)


def shared_event(package_bytes: bytes, actor: str) -> Envelope[TransferPackageShared]:
    """The package as the message the link carries (its bytes exactly as exported)."""
    doc = json.loads(package_bytes)
    data = TransferPackageShared(transfer_id=doc["transfer_id"], definition_id=doc["definition"]["definition_id"],
                                 definition_version=doc["definition"]["version"], content_hash=doc["content_hash"],
                                 sponsor_site=doc["sponsor_site"], package=doc)
    return Envelope.wrap(data, id=deterministic_id("transfer-package", data.transfer_id, data.content_hash),
                         source="/gxplink/transfer/sponsor", actor=actor, sourcesystem="gxplink",
                         subject=f"transfer/{data.transfer_id}", correlationid=data.transfer_id)


async def share(js: JetStreamContext, package_bytes: bytes, actor: str = "service:gxplink-transfer") -> PubAck:
    """Publish on gxp.transfer.sponsor.package (kept in GXP_TRANSFER here; crosses to the CDMO)."""
    envelope = shared_event(package_bytes, actor)
    return await Publisher(js).publish_bytes(subjects.transfer_subject("sponsor", "package"), envelope.to_json(),
                                             headers_for(envelope))


def write_package(package: TransferPackage, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(to_bytes(package))
    return out
