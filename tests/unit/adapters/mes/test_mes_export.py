"""The adapter's export_batch_record / import_batch_record methods (the client faked, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.base import AdapterPorts
from adapters.framework.metrics import AdapterMetrics
from adapters.mes import batchml
from adapters.mes.adapter import MesRestAdapter
from adapters.mes.config import MesAdapterConfig
from adapters.mes.fake import FakeMesClient
from mappings.engine.catalog import Catalog
from messaging.errors import PermanentError, RetryableError

pytestmark = pytest.mark.unit


class FlakyMes(FakeMesClient):
    """Answers the export with what `answers` holds, in turn (bytes, or an exception to raise)."""

    def __init__(self, answers: list[Any]) -> None:
        super().__init__()
        self.answers = answers

    async def batchml(self, batch_id: str) -> bytes:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, bytes) else await super().batchml(batch_id)


def adapter(catalog: Catalog, client: FakeMesClient | None) -> MesRestAdapter:
    ports = AdapterPorts(nc=None, js=None, publisher=None, engine=None, catalog=catalog,  # type: ignore[arg-type]
                         metrics=AdapterMetrics("mes"))
    return MesRestAdapter(ports, MesAdapterConfig(read_attempts=3), client=client)


async def test_export_returns_the_validated_record_and_import_reads_it(catalog: Catalog) -> None:
    fake = FakeMesClient()
    fake.create_batch("B1")
    mes = adapter(catalog, fake)
    xml = await mes.export_batch_record("B1")
    summary = mes.import_batch_record(xml)
    assert summary["batch_id"] == "B1" and summary["product"] == "CART-19" and summary["status"] == "created"


async def test_a_cut_off_or_unavailable_export_is_fetched_again(catalog: Catalog) -> None:
    fake = FlakyMes([b"<BatchProductionRecord xmlns='http://www.mesa.org/xml/B2ML", RetryableError("503"), "real"])
    fake.create_batch("B1")
    assert b"<BatchID>B1</BatchID>" in await adapter(catalog, fake).export_batch_record("B1")
    assert fake.answers == []


async def test_a_persistently_unreadable_export_gives_up(catalog: Catalog) -> None:
    fake = FlakyMes([RetryableError("503")] * 3)
    with pytest.raises(RetryableError):
        await adapter(catalog, fake).export_batch_record("B1")


async def test_an_invalid_export_is_refused_at_once(catalog: Catalog) -> None:
    bad = b'<BatchProductionRecord xmlns="http://www.mesa.org/xml/B2MML"><Nope/></BatchProductionRecord>'
    fake = FlakyMes([bad, bad, bad])
    with pytest.raises(batchml.InvalidBatchRecord):
        await adapter(catalog, fake).export_batch_record("B1")
    assert len(fake.answers) == 2


async def test_without_a_mes_there_is_nothing_to_export(catalog: Catalog) -> None:
    with pytest.raises(PermanentError, match="GXPLINK_MES_URL"):
        await adapter(catalog, None).export_batch_record("B1")
