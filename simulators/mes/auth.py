"""HTTP Basic authentication of the MES API with an interface account generated on first start.

The password is never part of the code: it is created with `secrets` into the data dir (mode 0600)
and published to the test harness through the simulator's endpoints entry.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from simulators.mes.errors import MesError

SERVICE_USER = "svc-integration"
basic = HTTPBasic(auto_error=False, realm="MES", description="MES interface account (HTTP Basic)")


class Unauthorized(MesError):
    status = 401
    title = "Unauthorized"


@dataclass(frozen=True)
class ApiCredentials:
    username: str
    password: str

    @classmethod
    def load_or_create(cls, path: Path) -> ApiCredentials:
        if path.exists():
            data = json.loads(path.read_text())
            return cls(data["username"], data["password"])
        creds = cls(SERVICE_USER, secrets.token_urlsafe(24))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"username": creds.username, "password": creds.password}, f)
        return creds

    def matches(self, given: HTTPBasicCredentials) -> bool:
        user_ok = secrets.compare_digest(given.username.encode(), self.username.encode())
        return secrets.compare_digest(given.password.encode(), self.password.encode()) and user_ok


def require_account(creds: ApiCredentials) -> object:
    """A dependency that admits only the interface account; it also declares the scheme in OpenAPI."""

    async def account(given: HTTPBasicCredentials | None = Depends(basic)) -> str:
        if given is None or not creds.matches(given):
            raise Unauthorized("unauthorized", "valid HTTP Basic credentials of the MES interface account are "
                               "required")
        return given.username

    return Depends(account)
