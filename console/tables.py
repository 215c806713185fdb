"""The console's own tables: server-side sessions and login failures (so several console processes share them)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

sessions = Table(
    "console_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie: a stolen table logs no one in
    Column("user_id", String(100), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("role", String(50), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("end_reason", String(40)),
)

login_failures = Table(
    "console_login_failures", metadata,
    Column("user_id", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)
