"""The local development CA: made once, keys private, a server certificate for the loopback names."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509

from messaging.tls import local_ca


def test_the_local_ca_is_made_once_with_a_private_key(tmp_path: Path) -> None:
    files = local_ca(tmp_path / "tls")
    first = files.cert.read_bytes()
    assert local_ca(tmp_path / "tls").cert.read_bytes() == first
    assert files.key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "tls").stat().st_mode & 0o777 == 0o700
    assert not list((tmp_path / "tls").glob("ca*key*"))  # the CA key signs once and is never kept
    cert = x509.load_pem_x509_certificate(first)
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert "localhost" in names.get_values_for_type(x509.DNSName)


def test_a_server_key_others_may_read_is_refused(tmp_path: Path) -> None:
    files = local_ca(tmp_path)
    files.key.chmod(0o644)
    with pytest.raises(PermissionError, match="readable by others"):
        local_ca(tmp_path)
    with pytest.raises(PermissionError, match="readable by others"):
        files.loopback_server_block()


def test_gxplink_clients_start_with_tls_and_local_tools_may_still_connect_on_loopback(tmp_path: Path) -> None:
    block = local_ca(tmp_path).loopback_server_block()
    assert 'handshake_first: "300ms"' in block and "allow_non_tls: true" in block
