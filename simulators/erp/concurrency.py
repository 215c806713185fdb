"""Optimistic concurrency as SAP OData services do it: a version per object, sent as a strong ETag;
changes need `If-Match`. A missing header is 428 and a stale one 412, so a client re-reads and
decides instead of overwriting a change it never saw.
"""

from __future__ import annotations

from typing import Any

from simulators.erp.problems import Problem


def etag(obj: dict[str, Any]) -> str:
    return f'"{int(obj["version"])}"'


def with_etag(obj: dict[str, Any]) -> dict[str, Any]:
    """The OData JSON form of an entity: its ETag travels in the body as well as in the header."""
    return {"@odata.etag": etag(obj), **obj}


def require_match(if_match: str | None, obj: dict[str, Any], what: str) -> None:
    current = etag(obj)
    if if_match is None or not if_match.strip():
        raise Problem(428, "if_match_required", f"changing {what} requires If-Match with its current ETag",
                      {"ETag": current}, current_etag=current)
    tags = [t.strip() for t in if_match.split(",")]
    if "*" not in tags and current not in tags:  # RFC 9110 strong comparison: W/ tags never match
        raise Problem(412, "etag_mismatch", f"{what} was changed by someone else (ETag is now {current}, you sent "
                      f"{if_match.strip()[:80]}); read it again and decide", {"ETag": current},
                      current_etag=current, current_version=obj["version"])
