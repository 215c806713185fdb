"""The Ed25519 key that signs checkpoints: created once under `<data-dir>/keys/`, readable by its owner only.

A key file that group or others can read is refused, not silently fixed: whoever could read it could
have forged checkpoints, so an operator must look. Creation is atomic (write a temp file, then
hard-link it into place), so two processes starting together end up with one key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "audit-ed25519.pem"
PUBLIC_FILE = "audit-ed25519.pub.pem"


class AuditKeyError(RuntimeError):
    """The signing key is missing, unreadable or too widely readable."""


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Verifier:
    public: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def verify(self, signature_hex: str, message: bytes) -> bool:
        try:
            self.public.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.private.public_key())

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditKeyError(f"{path} is accessible by group or others (mode {stat.filemode(mode)}); "
                        "it signs the audit trail: restrict it with chmod 600 after checking who read it")


def load_signer(keys_dir: Path) -> Signer:
    path = Path(keys_dir) / KEY_FILE
    _check_private(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"{path} is not an Ed25519 private key")
    return Signer(key)


def load_or_create_signer(keys_dir: Path) -> Signer:
    """The signing key, generated with mode 0600 on first use."""
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys_dir / KEY_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = keys_dir / f".{KEY_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)
        tmp.unlink()
    signer = load_signer(keys_dir)
    _write_public(keys_dir, signer.verifier)
    return signer


def _write_public(keys_dir: Path, verifier: Verifier) -> None:
    """The public half beside it, so an auditor can verify without the private key."""
    path = keys_dir / PUBLIC_FILE
    pem = verifier.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if not path.exists() or path.read_bytes() != pem:
        tmp = keys_dir / f".{PUBLIC_FILE}.{os.getpid()}.tmp"
        tmp.write_bytes(pem)
        tmp.replace(path)


def load_verifier(keys_dir: Path) -> Verifier | None:
    """The trusted public key: from the private key when present, else the public file; None if neither."""
    keys_dir = Path(keys_dir)
    if (keys_dir / KEY_FILE).exists():
        return load_signer(keys_dir).verifier
    if (keys_dir / PUBLIC_FILE).exists():
        key = serialization.load_pem_public_key((keys_dir / PUBLIC_FILE).read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError(f"{keys_dir / PUBLIC_FILE} is not an Ed25519 public key")
        return Verifier(key)
    return None
