"""Tables shared by components: persisted cursors and idempotency keys.

Adapters persist where they are in a legacy system's change feed only after JetStream acknowledged
what they published; command handlers remember which commands they already executed, so that a
redelivered command never acts twice.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, Text

metadata = MetaData()

cursors = Table(
    "gxp_cursors",
    metadata,
    Column("name", String(200), primary_key=True, comment="Whose cursor, e.g. adapter.mes.events"),
    Column("position", Text, nullable=False, comment="Opaque position in the source"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "gxp_idempotency_keys",
    metadata,
    Column("key", String(300), primary_key=True, comment="Derived from the command id or source record"),
    Column("scope", String(100), nullable=False, comment="Component that executed it"),
    Column("outcome", JSON, nullable=True, comment="What the first execution returned"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
