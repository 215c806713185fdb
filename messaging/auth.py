"""NATS identities: one user per component, each allowed only its own subjects.

nats-server enforces the permissions, not gxplink: a component that publishes or subscribes outside
its grant gets a `Permissions Violation` from the server and nothing is delivered. The server
config holds only bcrypt hashes; the clear passwords live in one file per component, mode 0600,
which gxplink refuses to read when others could read it too. Each identity gets its own inbox
prefix (`_INBOX.<user>`), so no component can subscribe to another's replies.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from messaging.private_files import exposed, write_private

BCRYPT_ROUNDS = 11  # what `nats server passwd` uses: a few tens of ms per connect, paid once
CREDS_SUFFIX = ".json"


@dataclass(frozen=True)
class Grant:
    """What one identity may do; anything not listed is denied by the server."""

    publish: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    allow_responses: bool = False  # may answer requests it received (reply subjects are not listed)

    def merged(self, other: Grant) -> Grant:
        return Grant(_unique(self.publish + other.publish), _unique(self.subscribe + other.subscribe),
                     self.allow_responses or other.allow_responses)

    def may_publish(self, subject: str) -> bool:
        return any(covers(pattern, subject) for pattern in self.publish)

    def may_subscribe(self, subject: str) -> bool:
        return any(covers(pattern, subject) for pattern in self.subscribe)


def covers(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, a final `>` one or more (a wildcard subject is matched
    as literal tokens, so `a.*` covers the subscription `a.*` but not `a.>`)."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]) or (token == "*" and have[i] == ">"):
            return False
    return len(want) == len(have)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def inbox_prefix(user: str) -> str:
    return f"_INBOX.{user}"


def consume_grant(stream: str, consumer: str, filter_subject: str) -> Grant:
    """Reading one durable pull consumer: create it with exactly this filter, fetch, acknowledge, inspect."""
    api = "$JS.API.CONSUMER"
    return Grant(publish=(f"{api}.CREATE.{stream}.{consumer}.{filter_subject}", f"{api}.INFO.{stream}.{consumer}",
                          f"{api}.MSG.NEXT.{stream}.{consumer}", f"$JS.ACK.{stream}.{consumer}.>"))


READ_ONLY_JETSTREAM = Grant(publish=(
    "$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*",
    "$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.*", "$JS.API.DIRECT.GET.*.>",
    "$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.INFO.*.*",
))
"""Inspecting streams and reading stored messages, without creating or changing anything."""


@dataclass(frozen=True)
class NatsUser:
    """One component's NATS identity; `repr` never shows the password."""

    user: str
    password: str = field(repr=False)

    @property
    def inbox_prefix(self) -> str:
        return inbox_prefix(self.user)

    def connect_options(self) -> dict[str, str]:
        return {"user": self.user, "password": self.password, "inbox_prefix": self.inbox_prefix}


def creds_path(creds_dir: Path, user: str) -> Path:
    return creds_dir / f"{user}{CREDS_SUFFIX}"


def read_user(path: Path) -> NatsUser:
    """A credentials file written by `write_users`; refused when others may read it (`private_files`)."""
    try:
        problem = exposed(path)
    except OSError as exc:
        raise PermissionError(f"NATS credentials {path}: {exc.strerror}") from None
    if problem:
        raise PermissionError(f"NATS credentials: {problem}")
    try:
        data = json.loads(path.read_text())
        return NatsUser(str(data["user"]), str(data["password"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"NATS credentials {path}: not a JSON object with user and password ({exc})") from None


def write_users(creds_dir: Path, users: Iterable[str]) -> dict[str, NatsUser]:
    """One credentials file per user, created with a new random password unless it exists already."""
    creds_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(creds_dir, 0o700)
    known: dict[str, NatsUser] = {}
    for user in users:
        path = creds_path(creds_dir, user)
        if not path.exists():
            write_private(path, json.dumps({"user": user, "password": secrets.token_urlsafe(32)}).encode(),
                          exclusive=True)
        known[user] = read_user(path)
    return known



def authorization_block(users: Mapping[str, NatsUser], grants: Mapping[str, Grant | None]) -> str:
    """The nats-server `authorization` block: bcrypt hashes and each user's permissions (None: everything)."""
    entries = []
    for name, grant in grants.items():
        hashed = bcrypt.hashpw(users[name].password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
        entry = {"user": name, "password": hashed}
        if grant is not None:
            allowed: dict[str, object] = {"publish": {"allow": list(grant.publish)},
                                          "subscribe": {"allow": list(grant.subscribe)}}
            if grant.allow_responses:
                allowed["allow_responses"] = True
            entry["permissions"] = allowed  # type: ignore[assignment]
        entries.append(json.dumps(entry))
    return "authorization {\n  timeout: 5\n  users: [\n    " + ",\n    ".join(entries) + "\n  ]\n}\n"
