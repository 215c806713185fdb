"""Which secret files are private enough: PostgreSQL's rule for its key file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from messaging import private_files
from messaging.private_files import exposed, refuse_exposed


def secret(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "secret"
    path.write_text("s3cret")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_owner_only_is_private(tmp_path: Path, mode: int) -> None:
    assert exposed(secret(tmp_path, mode)) is None


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o660, 0o640])
def test_anything_more_is_refused_for_the_owner(tmp_path: Path, mode: int, monkeypatch: pytest.MonkeyPatch) -> None:
    path = secret(tmp_path, mode)
    monkeypatch.setattr(private_files.os, "geteuid", lambda: path.stat().st_uid)  # we own it
    with pytest.raises(PermissionError, match=r"readable by others.*chmod 600"):
        refuse_exposed(path)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a root-owned file, as a Kubernetes Secret volume mounts it")
def test_a_root_owned_secret_volume_may_let_the_pods_group_read(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(private_files.os, "geteuid", lambda: 10001)  # the pod's non-root user
    assert exposed(secret(tmp_path, 0o440)) is None
    assert exposed(secret(tmp_path, 0o640)) is None
    assert exposed(secret(tmp_path, 0o444)) is not None
