"""The MES REST API over httpx: the only module that touches HTTP.

Every failure is classified where it happens: connection errors, timeouts, 429 and 5xx, and bodies
that are not the JSON they claim to be (a cut-off answer) are `RetryableError`; any other 4xx is a
`MesProblem` carrying the problem document's detail. Credentials go into the Basic auth of the
httpx client and nowhere else: no URL, message or log line contains them.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from adapters.mes.api import MesProblem, Page
from adapters.mes.config import MesAdapterConfig
from messaging.errors import RetryableError

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0


class MesHttpClient:
    def __init__(self, url: str, username: str | None, password: str | None, *, timeout: float = 10.0,
                 verify: bool = True, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._auth = httpx.BasicAuth(username, password or "") if username else None
        self._timeout, self._verify, self._transport = timeout, verify, transport
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def from_config(cls, config: MesAdapterConfig) -> MesHttpClient:
        if not config.url:
            raise ValueError("no MES URL configured (GXPLINK_MES_URL)")
        return cls(config.url, config.username, config.secret(), timeout=config.request_timeout_seconds,
                   verify=config.verify_tls)

    async def open(self) -> None:
        """A fresh connection pool (the adapter can be stopped and started again)."""
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.url, auth=self._auth, timeout=self._timeout,
                                           verify=self._verify, transport=self._transport,
                                           headers={"Accept": "application/json"}, follow_redirects=False)

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def probe(self) -> bool:
        """Does the MES answer an authenticated read? (A GET of one feed record: no side effects.)"""
        try:
            response = await self._client().get("/events", params={"after": 0, "limit": 1}, timeout=PROBE_TIMEOUT)
        except (httpx.HTTPError, RetryableError):
            return False
        return response.status_code == 200

    async def events(self, after: int, limit: int) -> Page:
        return self._page(await self._json("GET", "/events", params={"after": after, "limit": limit}), "events", limit)

    async def audit(self, after: int, limit: int) -> Page:
        return self._page(await self._json("GET", "/audit", params={"after": after, "limit": limit}), "entries", limit)

    async def batch(self, batch_id: str) -> dict[str, Any]:
        return self._object(await self._json("GET", _batch(batch_id)))

    async def master_batch_record(self, mbr_id: str) -> dict[str, Any]:
        return self._object(await self._json("GET", f"/master-batch-records/{quote(mbr_id, safe='')}"))

    async def create_master_batch_record(self, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        response = await self._send("POST", "/master-batch-records", body=body)
        return self._object(self._parse(response, "POST", "/master-batch-records")), response.status_code == 201

    async def transition(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._object(await self._json("POST", f"{_batch(batch_id)}/transitions", body=body))

    async def qc_summaries(self, batch_id: str) -> list[dict[str, Any]]:
        return self._list(await self._json("GET", f"{_batch(batch_id)}/qc-summaries"))

    async def record_qc_summary(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._object(await self._json("POST", f"{_batch(batch_id)}/qc-summaries", body=body))

    async def external_references(self, batch_id: str) -> list[dict[str, Any]]:
        return self._list(await self._json("GET", f"{_batch(batch_id)}/external-references"))

    async def attach_reference(self, batch_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._object(await self._json("POST", f"{_batch(batch_id)}/external-references", body=body))

    async def batchml(self, batch_id: str) -> bytes:
        response = await self._send("GET", f"{_batch(batch_id)}/batchml", headers={"Accept": "application/xml"})
        return response.content

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RetryableError("the MES client is not open (the adapter is not running)")
        return self._http

    async def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        where = f"{method} {self.url}{path}"
        try:
            response = await self._client().request(method, path, params=params, json=body, headers=headers)
        except httpx.TimeoutException:
            raise RetryableError(f"{where}: no answer within {self._timeout} s") from None
        except httpx.TransportError as exc:  # refused, reset, cut off, bad HTTP
            raise RetryableError(f"{where}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            problem = MesProblem.from_body(status, _loads(response), response.text)
            raise RetryableError(f"{where}: MES answered {status}: {problem.detail}")
        if status >= 400:
            raise MesProblem.from_body(status, _loads(response), response.text)
        if status >= 300:
            raise MesProblem(status, f"{where}: unexpected redirect to {response.headers.get('location')}")
        return response

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._parse(await self._send(method, path, **kwargs), method, path)

    def _parse(self, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:  # e.g. a body cut off in transit: asking again is the remedy
            raise RetryableError(f"{method} {self.url}{path}: the MES answer is not valid JSON "
                                 f"({len(response.content)} bytes)") from None

    def _page(self, doc: Any, key: str, limit: int) -> Page:
        try:
            return Page.parse(doc, key, limit)
        except ValueError as exc:
            raise RetryableError(f"malformed page from {self.url}: {exc}") from None

    def _object(self, doc: Any) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise RetryableError(f"the MES answered {type(doc).__name__}, not a JSON object")
        return doc

    def _list(self, doc: Any) -> list[dict[str, Any]]:
        if not isinstance(doc, list) or not all(isinstance(item, dict) for item in doc):
            raise RetryableError("the MES answered something else than a JSON list of objects")
        return doc


def _batch(batch_id: str) -> str:
    return f"/batches/{quote(batch_id, safe='')}"


def _loads(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
