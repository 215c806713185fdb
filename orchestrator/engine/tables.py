"""The orchestrator's tables. History, inbox and tasks are append-only; only the instance row (status
and lease) and a task's signed state change, and each such change is itself in the history.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

instances = Table(
    "wf_instances", metadata,
    Column("id", String(64), primary_key=True),
    Column("workflow", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("business_key", String(200), nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),  # running, completed, failed
    Column("input", JSON, nullable=False),
    Column("trigger_event", String(200)),
    Column("traceparent", String(60)),  # of the triggering event: commands continue its trace
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("result", Text),
    Column("lease_owner", String(100)),
    Column("lease_until", DateTime(timezone=True)),
)

history = Table(
    "wf_history", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("instance_id", String(64), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("phase", String(10), nullable=False),  # issued, resolved
    Column("step", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("instance_id", "seq", "phase", name="uq_wf_history_step"),
)

inbox = Table(
    "wf_inbox", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("type", String(200), nullable=False, index=True),
    Column("correlationid", String(200), index=True),
    Column("causationid", String(200), index=True),
    Column("envelope", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

tasks = Table(
    "wf_tasks", metadata,
    Column("id", String(64), primary_key=True),
    Column("instance_id", String(64), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("step", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("role", String(50), nullable=False),
    Column("record_type", String(100), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("meanings", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

signatures = Table(
    "wf_signatures", metadata,
    Column("task_id", String(64), primary_key=True),  # one signature completes a task, once
    Column("signature", JSON, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "wf_users", metadata,
    Column("user_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(50), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
