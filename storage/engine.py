"""The SQL store: SQLite under the data dir by default, PostgreSQL when GXPLINK_DB_URL says so.

SQLite runs in WAL mode with a busy timeout so that a CLI command can read while `gxplink up`
writes; PostgreSQL URLs are normalised to the psycopg 3 async driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.schema import metadata

DB_FILE = "gxplink.db"


def default_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(Path(data_dir).resolve() / DB_FILE)}"


def normalise_url(url: str) -> str:
    """Accept the URLs operators write (postgresql://, sqlite:///) and pick the async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL takes a lock another process may hold
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **options: Any) -> AsyncEngine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


SCHEMA_LOCK_KEY = 0x67787073  # PostgreSQL advisory lock taken while tables are created ("gxps")


async def create_schema(engine: AsyncEngine, tables: MetaData = metadata) -> None:
    """Create missing tables; safe to call from several processes at start-up.

    The check-then-create of `create_all` races between processes starting together on a new
    database ("table already exists"): it runs under the database's write lock instead.
    """
    async with engine.connect() as conn:
        await write_lock(conn, SCHEMA_LOCK_KEY)
        await conn.run_sync(tables.create_all)
        await conn.commit()


async def write_lock(conn: AsyncConnection, key: int) -> None:
    """Begin a transaction that holds a write lock until it ends: SQLite's one database lock
    (BEGIN IMMEDIATE), or PostgreSQL's advisory transaction lock `key`."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
