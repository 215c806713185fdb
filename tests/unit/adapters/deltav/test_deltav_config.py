"""DeltaV adapter settings: misconfiguration is refused at construction; secrets never show; the PKI is private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from pydantic import ValidationError

from adapters.deltav.config import DeltaVAdapterConfig
from adapters.deltav.pki import CERT_FILE, KEY_FILE, ensure_client_certificate

pytestmark = pytest.mark.unit
URL = "opc.tcp://dcs:4840/deltav"


@pytest.mark.parametrize(("settings", "complaint"), [
    ({"username": "svc", "security_policy": "None", "security_mode": "None"}, "SignAndEncrypt"),
    ({"username": "svc", "security_mode": "Sign"}, "SignAndEncrypt"),
    ({"security_policy": "None"}, "both None"),
    ({"username": "svc", "password": "a", "password_file": "/p"}, "give one of them"),
    ({"password": "a"}, "needs a username"),
    ({"reconnect_initial_seconds": 60, "reconnect_max_seconds": 30}, "must not exceed"),
])
def test_inconsistent_settings_are_refused(settings: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        DeltaVAdapterConfig(url=URL, **settings)  # type: ignore[arg-type]


def test_the_password_comes_from_the_environment_or_a_file_and_is_never_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GXPLINK_DELTAV_USERNAME", "opcua.integration")
    monkeypatch.setenv("GXPLINK_DELTAV_PASSWORD", "s3cret-from-env")
    config = DeltaVAdapterConfig(url=URL)
    assert config.secret() == "s3cret-from-env" and "s3cret" not in repr(config) and "s3cret" not in str(config)
    monkeypatch.delenv("GXPLINK_DELTAV_PASSWORD")
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    secret.chmod(0o644)
    with pytest.raises(ValueError, match="readable by others"):
        DeltaVAdapterConfig(url=URL, password_file=secret).secret()
    secret.chmod(0o400)
    assert DeltaVAdapterConfig(url=URL, password_file=secret).secret() == "from-file"
    assert DeltaVAdapterConfig(url=URL, areas=["CAM-CP"]).areas == ["CAM-CP"]


def test_the_client_certificate_is_made_once_with_a_private_key(tmp_path: Path) -> None:
    pki = tmp_path / "data" / "deltav" / "pki"
    cert, key = ensure_client_certificate(pki, "urn:gxplink:adapter:deltav")
    assert (cert.name, key.name) == (CERT_FILE, KEY_FILE)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(pki.stat().st_mode) == 0o700
    parsed = x509.load_der_x509_certificate(cert.read_bytes())
    names = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "urn:gxplink:adapter:deltav" in names.get_values_for_type(x509.UniformResourceIdentifier)
    before = cert.read_bytes()
    assert ensure_client_certificate(pki, "urn:gxplink:adapter:deltav") == (cert, key)
    assert cert.read_bytes() == before  # reused: a server's trust list needs it once
    key.chmod(0o644)
    with pytest.raises(PermissionError, match="readable by others"):
        ensure_client_certificate(pki, "urn:gxplink:adapter:deltav")
