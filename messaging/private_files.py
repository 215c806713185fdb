"""Secret files (credentials, private keys, passwords) must not be readable by others.

The rule is PostgreSQL's for its key file: a file owned by the user reading it may allow nothing
beyond the owner (0600, 0400); a file owned by root, as a Kubernetes Secret volume mounts it for
the pod's group, may also allow that group to read (0640, 0440). Anything else is refused with the
path and the fix: a secret others can read may already have leaked, and the operator must know.
"""

from __future__ import annotations

import os
from pathlib import Path


def exposed(path: Path) -> str | None:
    """Why `path` is too open, or None when it is private enough."""
    info = path.stat()
    mode = info.st_mode & 0o777
    group_may_read = info.st_uid == 0 and os.geteuid() != 0
    allowed = 0o640 if group_may_read else 0o600
    if mode & 0o077 & ~allowed:
        return (f"{path} is readable by others (mode {mode:o}): chmod 600 it "
                f"(a Kubernetes Secret volume: defaultMode 0440 with the pod's fsGroup)")
    return None


def write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write a secret so that it is 0600 from the moment it exists (`exclusive`: never over another)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as f:
        f.write(data)


def refuse_exposed(path: Path) -> None:
    """PermissionError when `path` is too open (see `exposed`)."""
    problem = exposed(path)
    if problem:
        raise PermissionError(problem)
