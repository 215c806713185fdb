"""The checkpoint key: created 0600 on first use, reused, refused when others can read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orchestrator.audit.keys import KEY_FILE, PUBLIC_FILE, AuditKeyError, load_or_create_signer, load_verifier

pytestmark = pytest.mark.unit


def test_created_private_to_its_owner_and_reused(tmp_path: Path) -> None:
    first = load_or_create_signer(tmp_path / "keys")
    mode = stat.S_IMODE((tmp_path / "keys" / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    again = load_or_create_signer(tmp_path / "keys")
    assert again.verifier.key_id == first.verifier.key_id
    assert (tmp_path / "keys" / PUBLIC_FILE).exists()


def test_signatures_verify_only_for_the_signed_bytes(tmp_path: Path) -> None:
    signer = load_or_create_signer(tmp_path)
    signature = signer.sign(b"head 42")
    assert signer.verifier.verify(signature, b"head 42")
    assert not signer.verifier.verify(signature, b"head 43")
    assert not signer.verifier.verify("zz", b"head 42")


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_signer(tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_or_create_signer(tmp_path)
    with pytest.raises(AuditKeyError):
        load_verifier(tmp_path)


def test_an_auditor_can_verify_with_the_public_key_alone(tmp_path: Path) -> None:
    signer = load_or_create_signer(tmp_path)
    (tmp_path / KEY_FILE).unlink()
    verifier = load_verifier(tmp_path)
    assert verifier is not None and verifier.key_id == signer.verifier.key_id
    assert load_verifier(tmp_path / "nothing") is None
