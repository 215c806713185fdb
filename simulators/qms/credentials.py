"""The integration account of the QMS web services (HTTP basic auth).

Its password is generated on first start and kept in the data dir, readable by the owner only:
nothing in the code or the repository can log in to a simulator someone else started.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

USERNAME = "qms.integration"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def check(self, authorization: str | None) -> str | None:
        """The user name when the Authorization header carries these credentials, else None."""
        given = basic_credentials(authorization)
        if given is None:
            return None
        ok = hmac.compare_digest(given[0].encode(), self.username.encode()) & \
            hmac.compare_digest(given[1].encode(), self.password.encode())
        return given[0] if ok else None


def load_or_create(data_dir: Path) -> Credentials:
    path = data_dir / "credentials.json"
    if not path.exists():
        data = json.dumps(asdict(Credentials(USERNAME, secrets.token_urlsafe(24)))).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    stored = json.loads(path.read_text())
    return Credentials(str(stored["username"]), str(stored["password"]))


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header, None when absent or unreadable."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None
