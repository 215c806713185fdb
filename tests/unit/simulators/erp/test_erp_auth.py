"""API credentials: generated once per data dir, private to the owner, checked in constant time."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from simulators.erp.auth import load_or_create

pytestmark = pytest.mark.unit


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credentials_are_generated_private_and_kept(tmp_path: Path) -> None:
    creds = load_or_create(tmp_path)
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600
    assert load_or_create(tmp_path) == creds
    other = tmp_path / "other"
    other.mkdir()
    assert load_or_create(other) != creds  # random per data dir, never a built-in default


def test_basic_and_bearer_authenticate_the_technical_user(tmp_path: Path) -> None:
    creds = load_or_create(tmp_path)
    assert creds.authenticate(basic(creds.username, creds.password)) == creds.username
    assert creds.authenticate(f"Bearer {creds.token}") == creds.username
    assert creds.authenticate(f"bearer   {creds.token}  ") == creds.username


@pytest.mark.parametrize("header", [
    None, "", "Basic", "Basic !!!notbase64", "Basic " + base64.b64encode(b"\xff").decode(),
    "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer wrong", "Digest x=1"])
def test_anything_else_is_refused(tmp_path: Path, header: str | None) -> None:
    creds = load_or_create(tmp_path)
    assert creds.authenticate(header) is None
    assert creds.authenticate(basic(creds.username, "wrong")) is None
    assert creds.authenticate(basic("ADMIN", creds.password)) is None
