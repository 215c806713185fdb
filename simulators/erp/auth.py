"""API credentials: generated on first start into the data dir (mode 0600), never shipped in code.

The ERP accepts HTTP Basic (a technical RFC user, as SAP integrations use) or a bearer token for
the same user; the OpenAPI document stays public so that clients can discover the API.
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


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str

    def authenticate(self, authorization: str | None) -> str | None:
        """The user name when the Authorization header carries these credentials, else None."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return self.username if hmac.compare_digest(value.encode(), self.token.encode()) else None
        if scheme.lower() != "basic" or not value:
            return None
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        ok = sep and hmac.compare_digest(user.encode(), self.username.encode()) \
            and hmac.compare_digest(password.encode(), self.password.encode())
        return self.username if ok else None


def load_or_create(data_dir: Path) -> Credentials:
    path = data_dir / "credentials.json"
    if path.exists():
        os.chmod(path, 0o600)
        return Credentials(**json.loads(path.read_text()))
    creds = Credentials(f"RFC_GXP_{secrets.token_hex(3).upper()}", secrets.token_urlsafe(18),
                        secrets.token_urlsafe(32))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(creds), f)
    return creds
