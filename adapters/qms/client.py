"""The QualityRecordService over SOAP 1.1 with zeep's async transport: the only module importing zeep.

zeep reads the WSDL synchronously, so it is read in a worker thread (the event loop keeps serving,
which matters when the QMS answers from the same loop, as the bundled simulator does), lazily on the
first call and again after a failed read: the adapter starts while the QMS is down. Operations then
run on an `httpx.AsyncClient` carrying HTTP basic auth; credentials are in no URL, message or log line.

Every failure is classified here: `Client.*` faults are `QmsFault` (permanent, with the faultstring);
`Server.*` faults, HTTP 5xx, timeouts, refused connections and malformed replies (cut-off XML, a SOAP
1.2 envelope) are `RetryableError`.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import Any

import httpx
import zeep
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, ValidationError
from zeep.helpers import serialize_object
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport

from adapters.qms.api import Page, QmsFault
from adapters.qms.config import QmsAdapterConfig
from messaging.errors import PermanentError, RetryableError

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0
# Set when the QMS's HTTP answer arrived in this call's context: zeep raises the same TypeError for arguments
# the WSDL does not take (before sending: permanent) as for a reply it cannot read (after: retryable).
_ANSWERED: ContextVar[bool] = ContextVar("qms_answered", default=False)


async def _answered(response: httpx.Response) -> None:
    _ANSWERED.set(True)


class ZeepQmsClient:
    def __init__(self, wsdl_url: str, username: str | None, password: str | None, *, endpoint_url: str | None = None,
                 timeout: float = 10.0, verify: bool = True, transport: httpx.AsyncBaseTransport | None = None,
                 wsdl_transport: httpx.BaseTransport | None = None) -> None:
        self.wsdl_url, self.endpoint_url, self.username = wsdl_url, endpoint_url, username
        self.url = endpoint_url or wsdl_url.split("?", 1)[0]
        self._auth = httpx.BasicAuth(username, password or "") if username else None
        self._timeout, self._verify = timeout, verify
        self._transport, self._wsdl_transport = transport, wsdl_transport
        self._http: httpx.AsyncClient | None = None
        self._service: Any = None
        self._loading = asyncio.Lock()

    @classmethod
    def from_config(cls, config: QmsAdapterConfig) -> ZeepQmsClient:
        if not config.wsdl_url:
            raise ValueError("no QMS WSDL configured (GXPLINK_QMS_WSDL_URL)")
        return cls(config.wsdl_url, config.username, config.secret(), endpoint_url=config.endpoint_url,
                   timeout=config.request_timeout_seconds, verify=config.verify_tls)

    async def open(self) -> None:
        """A fresh connection pool (the adapter can be stopped and started again); the WSDL is read lazily."""
        if self._http is None:
            self._http = httpx.AsyncClient(auth=self._auth, timeout=self._timeout, verify=self._verify,
                                           transport=self._transport, follow_redirects=False,
                                           event_hooks={"response": [_answered]})
            self._service = None

    async def close(self) -> None:
        http, self._http, self._service = self._http, None, None
        if http is not None:
            await http.aclose()

    async def probe(self) -> bool:
        """Does the QMS answer an authenticated read? (GetServerTime: no side effects.)"""
        try:
            await asyncio.wait_for(self.call("GetServerTime", {}), PROBE_TIMEOUT)
        except (TimeoutError, RetryableError, PermanentError):
            return False
        return True

    async def call(self, operation: str, args: dict[str, Any]) -> dict[str, Any]:
        answer = serialize_object(await self._invoke(operation, args), dict)  # type: ignore[no-untyped-call]
        if answer is None:
            raise RetryableError(f"QMS answered {operation} with an empty SOAP body")
        return answer if isinstance(answer, dict) else {"value": answer}

    async def changes(self, after: int, limit: int) -> Page:
        # recordType is never sent: the QMS ignores a filter on its first enumeration value (deviation).
        answer = await self.call("ListChangesSince", {"cursor": after, "maxChanges": limit})
        changes = _sequenced(answer.get("changes"), "changeSeq", "ListChangesSince")
        return Page(changes, bool(answer.get("hasMore")))

    async def audit(self, after: int, limit: int, record_id: str | None = None) -> tuple[list[dict[str, Any]], int]:
        args: dict[str, Any] = {"afterSeq": after, "maxEntries": limit}
        if record_id:
            args["recordId"] = record_id
        answer = await self.call("GetAuditEntries", args)
        return _sequenced(answer.get("entries"), "seq", "GetAuditEntries"), int(answer.get("lastSeq") or after)

    async def _invoke(self, operation: str, args: dict[str, Any]) -> Any:
        service = await self._bound()
        _ANSWERED.set(False)
        try:
            return await getattr(service, operation)(**args)
        except Fault as exc:
            raise _fault(exc) from None
        except (ValidationError, TypeError, AttributeError) as exc:  # arguments the WSDL does not take
            if _ANSWERED.get():  # ...or, once the QMS answered, a reply zeep could not read
                raise RetryableError(f"malformed QMS answer to {operation}: {str(exc)[:200]}") from None
            raise PermanentError(f"cannot call {operation}: {exc}") from None
        except TransportError as exc:
            raise _transport(operation, exc) from None
        except (ZeepError, etree.XMLSyntaxError, LookupError, ValueError) as exc:  # cut off, not SOAP 1.1, an
            # empty Body (IndexError), an unreadable xsi:type (ValueError)
            raise RetryableError(f"malformed QMS answer to {operation}: {str(exc)[:200]}") from None
        except httpx.HTTPError as exc:
            raise RetryableError(f"QMS at {self.url} not reachable ({operation}): {type(exc).__name__} {exc}"
                                 ) from None

    async def _bound(self) -> Any:
        if self._http is None:
            raise RetryableError("the QMS client is closed")
        async with self._loading:
            if self._service is None:
                self._service = await asyncio.to_thread(self._load, self._http)
        return self._service

    def _load(self, http: httpx.AsyncClient) -> Any:
        """Read the WSDL (worker thread) and bind its first service port, or the configured endpoint."""
        wsdl_http = httpx.Client(auth=self._auth, timeout=self._timeout, verify=self._verify,
                                 transport=self._wsdl_transport, follow_redirects=True)
        try:
            transport = AsyncTransport(client=http, wsdl_client=wsdl_http)  # type: ignore[no-untyped-call]
            client = zeep.AsyncClient(self.wsdl_url, transport=transport)  # type: ignore[no-untyped-call]
        except (httpx.HTTPError, ZeepError, etree.XMLSyntaxError, OSError) as exc:
            raise RetryableError(f"QMS WSDL at {self.wsdl_url} not readable: {type(exc).__name__} {exc}") from None
        finally:
            wsdl_http.close()
        if self.endpoint_url is None:
            return client.service
        binding = next(iter(client.wsdl.bindings.values()))
        return AsyncServiceProxy(client, binding, address=self.endpoint_url)  # type: ignore[no-untyped-call]


def _sequenced(records: Any, seq: str, operation: str) -> list[dict[str, Any]]:
    """The records of a feed answer, each with its integer sequence number (what the cursor follows)."""
    records = records or []
    if not all(isinstance(r, dict) and isinstance(r.get(seq), int) for r in records):
        raise RetryableError(f"malformed QMS answer to {operation}: a record without an integer {seq}")
    return list(records)


def _fault(exc: Fault) -> Exception:
    code = (exc.code or "").rpartition(":")[2] or "Server"  # "soap11env:Client.UnknownRecord" -> Client.UnknownRecord
    message = str(exc.message or "no faultstring")
    if code.startswith("Client"):
        return QmsFault(code, message)
    return RetryableError(f"QMS fault {code}: {message}")


def _transport(operation: str, exc: TransportError) -> Exception:
    status, reason = exc.status_code or 0, str(exc.message or "").split("\n", 1)[0][:200]  # never the body
    if status == 200:  # zeep could not parse it: a reply cut off
        return RetryableError(f"malformed QMS answer to {operation}: {reason}")
    if 400 <= status < 500 and status not in (408, 429):
        return PermanentError(f"QMS answered {operation} with HTTP {status}")
    return RetryableError(f"QMS answered {operation} with HTTP {status or '?'}: {reason}")
