from pathlib import Path

import pytest

from storage.cursors import CursorStore
from storage.engine import create_schema, default_url, make_engine, normalise_url
from storage.idempotency import IdempotencyStore

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ],
)
def test_urls_are_normalised_to_async_drivers(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_other_databases_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="SQLite or PostgreSQL"):
        normalise_url("mysql://root@localhost/db")


def test_default_store_is_gxplink_db_in_the_data_dir(tmp_path: Path) -> None:
    assert default_url(tmp_path).endswith(f"{tmp_path.resolve()}/gxplink.db")


async def test_cursor_survives_a_new_engine(tmp_path: Path) -> None:
    engine = make_engine(default_url(tmp_path))
    await create_schema(engine)
    store = CursorStore(engine)
    assert await store.get("adapter.mes.events") is None
    await store.set("adapter.mes.events", "41")
    await store.set("adapter.mes.events", "42")
    await engine.dispose()

    engine = make_engine(default_url(tmp_path))
    await create_schema(engine)  # idempotent
    assert await CursorStore(engine).get("adapter.mes.events") == "42"
    await engine.dispose()


async def test_an_idempotency_key_is_recorded_once(tmp_path: Path) -> None:
    engine = make_engine(default_url(tmp_path))
    await create_schema(engine)
    store = IdempotencyStore(engine, scope="erp")
    assert await store.outcome("cmd-1") == (False, None)
    assert await store.record("cmd-1", {"etag": "W/3"}) is True
    assert await store.record("cmd-1", {"etag": "W/4"}) is False
    assert await store.outcome("cmd-1") == (True, {"etag": "W/3"})
    await engine.dispose()
