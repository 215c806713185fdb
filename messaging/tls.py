"""TLS for NATS: a local certificate authority for development, operator certificates for production.

`local_ca` makes (once) a CA and a server certificate for the given names under one directory,
keys mode 0600; production uses the site's own PEM files instead. Clients verify the server
against the CA; on the embedded server they start with the TLS handshake (`handshake_first`), so
not a byte of their credentials crosses the wire in clear.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from messaging.private_files import refuse_exposed, write_private

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path

    @classmethod
    def under(cls, directory: Path) -> TlsFiles:
        return cls(directory / "ca.pem", directory / "server-cert.pem", directory / "server-key.pem")

    def loopback_server_block(self) -> str:
        """The embedded server's `tls` block: TLS for gxplink's clients (they start with the handshake),
        plain connections still accepted after 300 ms from local tools on loopback (credentials required).

        A deployed server requires TLS from everyone instead (deploy/single-node/nats-server-secure.conf).
        """
        check_private(self.key)
        return (f"tls {{\n  cert_file: {_quoted(self.cert)}\n  key_file: {_quoted(self.key)}\n  timeout: 5\n"
                '  handshake_first: "300ms"\n}\nallow_non_tls: true\n')


def client_context(ca: Path) -> ssl.SSLContext:
    """Verifies the server's certificate and host name against `ca` only."""
    context = ssl.create_default_context(cafile=str(ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _quoted(path: Path) -> str:
    return '"' + str(path.resolve()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_private(key: Path) -> None:
    """Refuse a private key that others may read (`messaging.private_files`)."""
    refuse_exposed(key)


def local_ca(directory: Path, names: tuple[str, ...] = LOOPBACK_NAMES) -> TlsFiles:
    """A development CA and a server certificate for `names`, created when absent and reused after."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    files = TlsFiles.under(directory)
    if files.ca.exists() and files.cert.exists() and files.key.exists():
        check_private(files.key)
        return files
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gxplink local development CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gxplink")])
    ca_cert = (_builder(ca_name, ca_name, ca_key.public_key(), years=10)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(_usage(cert_sign=True), critical=True)
               .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alt = [x509.IPAddress(ipaddress.ip_address(n)) if _is_ip(n) else x509.DNSName(n) for n in names]
    server_cert = (_builder(server_name, ca_name, server_key.public_key(), years=2)
                   .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(_usage(cert_sign=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    write_private(files.key, server_key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    files.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return files  # the CA key is not kept: nothing else is ever signed with it


def _builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey,
             years: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=365 * years)))


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True

