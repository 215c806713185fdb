"""Who may connect: the server certificate and the user accounts, both created on first start.

Like a plant's DeltaV OPC UA server, the simulator has its own application instance certificate
and a list of accounts; nothing secret lives in the code. The key and the account file are written
with mode 0600 under the data dir, and reused on the next start.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import socket
from pathlib import Path
from typing import Any

from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from simulators.reference import USERS

APPLICATION_URI = "urn:gxplink-sim:emerson:deltav:opcua-server"
SERVICE_ACCOUNT = "opcua.integration"  # the account an integration (MES/historian link) connects with


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def ensure_certificate(data_dir: Path) -> tuple[Path, Path]:
    """(certificate DER, private key PEM) of the server, generated once and valid for ten years."""
    pki = data_dir / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = pki / "server_cert.der", pki / "server_key.pem"
    if not (cert_file.exists() and key_file.exists()):
        key = cert_gen.generate_private_key()
        cert = cert_gen.generate_self_signed_app_certificate(
            key, "DeltaV OPC UA Server (simulated)", {"organizationName": "gxplink simulators"},
            [x509.UniformResourceIdentifier(APPLICATION_URI), x509.DNSName(socket.gethostname()),
             x509.DNSName("localhost")],
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], days=3650)
        _write_private(key_file, cert_gen.dump_private_key_as_pem(key))
        cert_file.write_bytes(cert.public_bytes(Encoding.DER))
    return cert_file, key_file


def ensure_users(data_dir: Path) -> dict[str, Any]:
    """users.json: the service account plus one account per plant user, each with a random password."""
    path = data_dir / "users.json"
    if path.exists():
        doc: dict[str, Any] = json.loads(path.read_text())
        return doc
    names = [SERVICE_ACCOUNT, *(u["id"] for u in USERS)]
    doc = {"service_account": SERVICE_ACCOUNT, "users": {name: secrets.token_urlsafe(18) for name in names}}
    _write_private(path, json.dumps(doc, indent=1).encode())
    return doc


class DeltaVUserManager(UserManager):
    """Anonymous sessions get a read/operate identity named 'anonymous'; user names must match their password."""

    def __init__(self, passwords: dict[str, str]) -> None:
        self.passwords = passwords

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:
        if not username and not certificate:  # anonymous (certificate is b"" on an unsecured channel)
            return User(role=UserRole.User, name=None)
        expected = self.passwords.get(username or "")
        if expected is not None and hmac.compare_digest(expected.encode(), (password or "").encode()):
            return User(role=UserRole.User, name=username)
        return None


def user_label(user: User | None) -> str:
    """The identity written to the audit trail."""
    return (user.name if user and user.name else None) or "anonymous"
