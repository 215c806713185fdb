"""The adapter's own OPC UA application instance certificate, made once under its PKI directory.

A secured OPC UA channel needs a client certificate whose subjectAltName carries the client's
ApplicationUri (OPC 10000-6 6.2.2). It is generated on first start with `cryptography` (RSA 2048,
SHA-256, ten years), the directory is 0700 and the private key 0600 from the moment it exists, and
both are reused afterwards, so a server's trust list only needs the certificate once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from messaging.private_files import exposed, write_private

CERT_FILE, KEY_FILE = "deltav_client_cert.der", "deltav_client_key.pem"


def ensure_client_certificate(pki_dir: Path, application_uri: str) -> tuple[Path, Path]:
    """(certificate DER, private key PEM), created when absent; refuses a key others can read."""
    pki_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(pki_dir, 0o700)
    cert_file, key_file = pki_dir / CERT_FILE, pki_dir / KEY_FILE
    if cert_file.exists() and key_file.exists():
        problem = exposed(key_file)
        if problem:
            raise PermissionError(f"{problem} (or delete both files)")
        return cert_file, key_file
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_private(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    cert_file.write_bytes(_certificate(key, application_uri).public_bytes(serialization.Encoding.DER))
    return cert_file, key_file



def _certificate(key: rsa.RSAPrivateKey, application_uri: str) -> x509.Certificate:
    host = socket.gethostname()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gxplink DeltaV adapter"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gxplink")])
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=True,
                          data_encipherment=True, key_agreement=False, key_cert_sign=True, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(application_uri),
                                                        x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
