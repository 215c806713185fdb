"""Test doubles for the console: a publisher that keeps what it was given, a NATS message, a login helper."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

import httpx

from canonical_model.audit import AuditRecord
from canonical_model.events.gxplink import AuditRecorded
from messaging.publisher import Publisher
from orchestrator.audit.ingest import parse

LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class FakePublisher:
    """Stands in for `messaging.publisher.Publisher`: records every `publish_bytes` call."""

    sent: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    async def publish_bytes(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        self.sent.append((subject, payload, headers))

    def as_publisher(self) -> Publisher:
        return cast(Publisher, self)

    def records(self) -> list[AuditRecord]:
        """The audit records published so far, parsed the way the audit writer parses them."""
        found = []
        for _, payload, _ in self.sent:
            data = parse(payload).data
            assert isinstance(data, AuditRecorded)
            found.append(data.record)
        return found

    def actions(self) -> list[str]:
        return [r.action for r in self.records()]


@dataclass(frozen=True)
class FakeMsg:
    """The two attributes of `nats.aio.msg.Msg` the board reads."""

    subject: str
    data: bytes


async def log_in(client: httpx.AsyncClient, user_id: str, password: str, next: str = "/") -> httpx.Response:
    """The browser's way in: fetch the form (its token and cookie), then post it."""
    form = await client.get("/login")
    match = LOGIN_TOKEN.search(form.text)
    assert match, "the login form carries a login_token"
    return await client.post("/login", data={"user_id": user_id, "password": password,
                                             "login_token": match.group(1), "next": next})


async def csrf_of(client: httpx.AsyncClient, path: str = "/admin/users") -> str:
    """The session's CSRF token, as a logged-in page renders it into its forms."""
    page = await client.get(path)
    match = CSRF_TOKEN.search(page.text)
    assert match, f"{path} renders a csrf_token"
    return match.group(1)

