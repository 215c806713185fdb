"""OData-style collection answers: `$filter`, `$orderby`, `$top`, `$skip`, `$count` and server-driven paging.

The response shape is OData JSON (`value`, `@odata.count`, `@odata.nextLink`), so clients written
against SAP gateway services page through the simulator the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from starlette.responses import Response

from simulators.erp.odata_filter import parse_filter
from simulators.erp.odata_types import ODataError, Schema, coerce
from simulators.erp.problems import ErpJSON, Problem

MAX_PAGE = 100
_ORDER_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class QueryOptions:
    filter: str | None = None
    orderby: str | None = None
    top: int | None = None
    skip: int = 0
    count: bool = False


def query_options(
    filter_: str | None = Query(None, alias="$filter", max_length=2000,
                                description="OData filter, e.g. status eq 'quarantine' and material eq 'MAT-LVV'"),
    orderby: str | None = Query(None, alias="$orderby", max_length=500, description="e.g. created_at desc,id"),
    top: int | None = Query(None, alias="$top", ge=0, le=100_000, description="Return at most this many"),
    skip: int = Query(0, alias="$skip", ge=0, le=1_000_000_000, description="Skip this many"),
    count: bool = Query(False, alias="$count", description="Add @odata.count (matches before paging)"),
) -> QueryOptions:
    return QueryOptions(filter_, orderby, top, skip, count)


def parse_orderby(text: str, schema: Schema) -> list[tuple[str, bool]]:
    keys = []
    for item in text.split(","):
        match = _ORDER_ITEM.match(item)
        if match is None:
            raise ODataError(f"cannot read $orderby item {item.strip()!r}; use 'property [asc|desc]'")
        if match.group(1) not in schema:
            raise ODataError(f"cannot order by {match.group(1)!r}; properties: {', '.join(sorted(schema))}")
        keys.append((match.group(1), (match.group(2) or "asc").lower() == "desc"))
    return keys


def select(rows: Iterable[dict[str, Any]], schema: Schema, options: QueryOptions) -> list[dict[str, Any]]:
    """Filter and order; ODataError becomes a 400 problem."""
    try:
        predicate = parse_filter(options.filter, schema) if options.filter is not None else None
        order = parse_orderby(options.orderby, schema) if options.orderby else []
    except ODataError as exc:
        raise Problem(400, "invalid_query_option", str(exc)) from exc
    result = [row for row in rows if predicate is None or predicate(row)]
    for field, descending in reversed(order):
        kind = schema[field]
        result.sort(key=lambda row: _sort_key(coerce(kind, row.get(field))), reverse=descending)
    return result


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)


def collection(request: Request, rows: list[dict[str, Any]], options: QueryOptions) -> Response:
    """One page of already selected rows, with a relative nextLink when the server cut the page short."""
    wanted = len(rows) - options.skip if options.top is None else min(options.top, len(rows) - options.skip)
    size = max(0, min(wanted, MAX_PAGE))
    body: dict[str, Any] = {}
    if options.count:
        body["@odata.count"] = len(rows)
    body["value"] = rows[options.skip:options.skip + size]
    if size < wanted:
        params = {k: v for k, v in request.query_params.multi_items() if k not in ("$skip", "$top")}
        params["$skip"] = str(options.skip + size)
        if options.top is not None:
            params["$top"] = str(options.top - size)
        body["@odata.nextLink"] = f"{request.url.path}?{urlencode(params, safe='$', quote_via=quote)}"
    return ErpJSON(body)
