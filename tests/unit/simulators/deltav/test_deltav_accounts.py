"""DeltaV accounts: generated once into a private file, checked by the OPC UA user manager."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from simulators.deltav.security import SERVICE_ACCOUNT, DeltaVUserManager, ensure_users, user_label

pytestmark = pytest.mark.unit


def test_accounts_are_generated_once_and_private(tmp_path: Path) -> None:
    first = ensure_users(tmp_path)
    assert set(first["users"]) == {SERVICE_ACCOUNT, "jdoe", "asmith", "qa.mlee", "qc.rpatel", "sup.kchen"}
    assert len(set(first["users"].values())) == 6
    assert ensure_users(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600


def test_user_manager_checks_passwords_and_names_anonymous() -> None:
    manager = DeltaVUserManager({"jdoe": "s3cret"})
    assert user_label(manager.get_user(None, certificate=b"")) == "anonymous"
    assert user_label(manager.get_user(None, "jdoe", "s3cret")) == "jdoe"
    assert manager.get_user(None, "jdoe", "wrong") is None
    assert manager.get_user(None, "mallory", "s3cret") is None
    assert manager.get_user(None, certificate=b"some client certificate") is None
