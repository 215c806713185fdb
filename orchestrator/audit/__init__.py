"""The audit trail: every message, action and signature of every system, hash-chained and signed.

`AuditWriter` feeds the store from JetStream; `query.trail`, `review.review` and `verify.verify`
read it back from the database alone. Modules are small and named by role: mapping (what a message
means to an auditor), derive (who/when/what/why/where), chain (locked appends), checkpoints and keys
(signatures), verify, graph, query, review, render and pdf.

The names below are imported on first use, so that `gxplink audit verify` does not pay for the
canonical model and NATS client the writer needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.audit.store import AppendOnlyError, AuditStore
    from orchestrator.audit.writer import AuditWriter

__all__ = ["AppendOnlyError", "AuditStore", "AuditWriter"]
_HOMES = {"AppendOnlyError": "store", "AuditStore": "store", "AuditWriter": "writer"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"orchestrator.audit.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'orchestrator.audit' has no attribute {name!r}")
