"""The ERP's REST/JSON API over httpx: the only module of the ERP adapter that touches the wire.

Faults are classified where they are seen: a refused connection or a connect timeout means the
request never arrived (retryable); a read timeout or a dropped connection after a write was sent
means it may have been executed (`OutcomeUnknown`); 429 and 5xx are transient, and a write answered
500/502/504 may have been executed too (503 and 429 refuse before acting); a 200 whose JSON is cut
off is read again, never guessed at.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from adapters.erp.api import OutcomeUnknown, Record, Reply
from messaging.errors import PermanentError, RetryableError

log = logging.getLogger(__name__)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class ErpHttpClient:
    def __init__(self, url: str, *, basic: tuple[str, str] | None = None, token: str | None = None,
                 timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._auth: httpx.Auth | None = httpx.BasicAuth(*basic) if basic else _Bearer(token) if token else None
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(base_url=self.url, auth=self._auth, timeout=self._timeout,
                                           transport=self._transport, headers={"Accept": "application/json"})
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    body: Record | None = None, if_match: str | None = None) -> Reply:
        headers = {"If-Match": if_match} if if_match else None
        try:
            response = await self._client().request(method, path, params=params, json=body, headers=headers)
        except NOT_SENT as exc:
            raise RetryableError(f"ERP at {self.url} unreachable ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            if method == "GET":
                raise RetryableError(f"ERP did not answer {method} {path} ({type(exc).__name__})") from None
            raise OutcomeUnknown(f"no answer to {method} {path} ({type(exc).__name__}); it may have been "
                                 "executed") from None
        status = response.status_code
        parsed = _json(response)
        if status == 429 or status >= 500:
            detail = (parsed or {}).get("detail") or response.reason_phrase
            problem = f"ERP answered {status} to {method} {path}: {detail}"
            if method != "GET" and status not in (429, 503):  # 500/502/504: it may have been done before failing
                raise OutcomeUnknown(problem)
            raise RetryableError(problem)
        if method == "GET" and parsed is None:
            raise RetryableError(f"ERP answered {method} {path} with a body that is not complete JSON")
        return Reply(status, parsed, response.headers.get("etag"))

    async def _get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> Record | None:
        reply = await self._send("GET", path, params=params)
        if reply.status == 404 and missing_ok:
            return None
        if not reply.ok:
            raise PermanentError(f"ERP refused GET {path}: {reply.status} {reply.code or ''} {reply.detail}")
        return reply.body

    async def _collection(self, path: str, params: dict[str, Any] | None = None) -> list[Record]:
        """Every row of an OData collection, following @odata.nextLink."""
        rows: list[Record] = []
        followed: set[str] = set()
        page = await self._get(path, params)
        while page is not None:
            rows += _rows(page, path)
            link = page.get("@odata.nextLink")
            if not link:
                break
            if str(link) in followed:  # a next page that leads back: following it would never end
                raise RetryableError(f"ERP answered {path} with an @odata.nextLink that loops: {str(link)[:100]}")
            followed.add(str(link))
            if not self._same_origin(str(link)):  # the credentials go with every request: never elsewhere
                raise PermanentError(f"ERP answered {path} with an @odata.nextLink to another host: "
                                     f"{str(link)[:100]}")
            try:
                page = await self._get(str(link))
            except httpx.InvalidURL:
                raise RetryableError(f"ERP answered {path} with an @odata.nextLink that is no URL") from None
        return rows

    def _same_origin(self, link: str) -> bool:
        """A relative link, or an absolute one to the ERP's own scheme, host and port."""
        try:
            target, own = urlsplit(link), urlsplit(self.url)
            return not target.netloc or (target.scheme, target.hostname, target.port) == \
                (own.scheme, own.hostname, own.port)
        except ValueError:
            return False

    async def changes(self, after: int, limit: int) -> tuple[list[Record], int]:
        page = await self._get("/changes", {"after": after, "limit": limit}) or {}
        return _rows(page, "/changes"), _position(page.get("next_cursor"), after, "/changes")

    async def audit(self, after: int, limit: int) -> tuple[list[Record], int]:
        page = await self._get("/audit", {"after": after, "limit": limit}) or {}
        return _rows(page, "/audit"), _position(page.get("next_after"), after, "/audit")

    async def lot_changes(self, lot_id: str) -> list[Record]:
        entries: list[Record] = []
        after = 0
        while True:
            page = await self._get("/audit", {"after": after, "limit": 10_000, "record_type": "lot",
                                              "record_id": lot_id}) or {}
            rows = _rows(page, "/audit")
            if not rows:
                return entries
            entries += rows
            moved = _position(page.get("next_after") or rows[-1].get("seq"), after, "/audit")
            if moved <= after:  # the same entries again: asking on would never end
                raise RetryableError(f"ERP answered /audit of lot {lot_id} without moving past {after}")
            after = moved

    async def boms(self) -> list[Record]:
        return await self._collection("/boms")

    async def lot(self, lot_id: str) -> Record | None:
        return await self._get(f"/lots/{quote(lot_id, safe='')}", missing_ok=True)

    async def production_order(self, order_id: str) -> Record | None:
        return await self._get(f"/production-orders/{quote(order_id, safe='')}", missing_ok=True)

    async def production_orders_for_batch(self, batch_id: str) -> list[Record]:
        return await self._collection("/production-orders", {"$filter": f"batch_id eq {_literal(batch_id)}"})

    async def transactions(self, lot_id: str, movement_type: str) -> list[Record]:
        query = f"lot eq {_literal(lot_id)} and movement_type eq {_literal(movement_type)}"
        return await self._collection("/inventory-transactions", {"$filter": query})

    async def post_usage_decision(self, lot_id: str, body: Record, if_match: str) -> Reply:
        return await self._send("POST", f"/lots/{quote(lot_id, safe='')}/usage-decisions", body=body,
                                if_match=if_match)

    async def post_inventory_transaction(self, body: Record) -> Reply:
        return await self._send("POST", "/inventory-transactions", body=body)

    async def post_production_order(self, body: Record) -> Reply:
        return await self._send("POST", "/production-orders", body=body)

    async def material(self, material_id: str) -> Record | None:
        return await self._get(f"/materials/{quote(material_id, safe='')}", missing_ok=True)

    async def post_material(self, body: Record) -> Reply:
        return await self._send("POST", "/materials", body=body)

    async def bom(self, bom_id: str) -> Record | None:
        return await self._get(f"/boms/{quote(bom_id, safe='')}", missing_ok=True)

    async def post_bom(self, body: Record) -> Reply:
        return await self._send("POST", "/boms", body=body)

    async def patch_bom(self, bom_id: str, body: Record, if_match: str) -> Reply:
        return await self._send("PATCH", f"/boms/{quote(bom_id, safe='')}", body=body, if_match=if_match)

    async def probe(self) -> bool:
        try:
            response = await self._client().get("/materials", params={"$top": 1}, timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _json(response: httpx.Response) -> Record | None:
    try:
        parsed = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _rows(page: Record, path: str) -> list[Record]:
    rows = page.get("value")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise RetryableError(f"ERP answered {path} without a `value` list of objects")
    return rows


def _position(value: Any, after: int, path: str) -> int:
    """The position the ERP says to continue from (none: `after`); one that is not a number is a malformed answer."""
    try:
        return int(value or after)
    except (TypeError, ValueError, OverflowError):
        raise RetryableError(f"ERP answered {path} with a position that is not a number: {str(value)[:50]}") from None


def _literal(text: str) -> str:
    """An OData string literal: quotes doubled."""
    return "'" + text.replace("'", "''") + "'"
