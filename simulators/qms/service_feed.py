"""The change feed, the native audit trail and the server clock, for integrations and auditors."""

from __future__ import annotations

from typing import Any

from spyne import DateTime, ServiceBase, Unicode

from simulators.qms import schema
from simulators.qms.codec import audit_to_soap, change_to_soap, plain
from simulators.qms.context import call_context
from simulators.qms.service_common import SERVICE, operation, page_size, with_duplicates
from simulators.qms.workflow import KINDS


class FeedService(ServiceBase):  # type: ignore[misc]
    __service_name__ = SERVICE

    @operation(schema.Cursor, schema.Count, schema.RecordType, _returns=schema.ChangeSet)
    def ListChangesSince(ctx: Any, cursor: int | None, maxChanges: int | None, recordType: str | None) -> Any:
        """Changes of all record kinds (or one) after the cursor, oldest first, each with the record as it
        was right after the change. Pass nextCursor back next time; hasMore says another page is waiting."""
        call = call_context(ctx)
        kinds = (plain(recordType),) if recordType else KINDS
        changes, next_cursor = call.store.changes_since(cursor or 0, page_size(maxChanges), kinds)
        return schema.ChangeSet(changes=with_duplicates([change_to_soap(c) for c in changes], call.faults),
                                nextCursor=next_cursor, hasMore=next_cursor < call.store.cursor)

    @operation(schema.Cursor, schema.Count, Unicode, _returns=schema.AuditEntryList)
    def GetAuditEntries(ctx: Any, afterSeq: int | None, maxEntries: int | None, recordId: str | None) -> Any:
        """The native audit trail (who, when, what, old -> new, why) after a sequence number."""
        call = call_context(ctx)
        with call.store.lock:
            entries = call.store.audit.since(afterSeq or 0, page_size(maxEntries, 500))
            last = call.store.audit.entries[-1].seq if call.store.audit.entries else 0
        chosen = [e for e in entries if not recordId or e.record_id == recordId]
        return schema.AuditEntryList(entries=[audit_to_soap(e) for e in chosen],
                                     lastSeq=entries[-1].seq if entries else max(afterSeq or 0, last))

    @operation(_returns=DateTime)
    def GetServerTime(ctx: Any) -> Any:
        """The QMS clock, so that a client can see how far it is off."""
        return call_context(ctx).store.clock.now()
