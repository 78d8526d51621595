"""The catalog's database: an SQLAlchemy engine (a connection pool) for an embedded SQLite file or a
PostgreSQL server (psycopg 3), brought to the newest schema by Alembic when it opens.

SQLite: every connection uses WAL and foreign keys; a write transaction starts with ``BEGIN IMMEDIATE``
so writers queue for the file lock instead of failing to upgrade a read lock. PostgreSQL: plain
READ COMMITTED transactions; the constraints and row locks keep concurrent writers correct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from assistant.errors import ConfigError
from assistant.index.migrations import SCRIPT_LOCATION

__all__ = ["engine_url", "open_engine", "migrate", "retryable", "WRITE", "BASELINE", "RETRIES"]

BASELINE = "0001"  # the schema of catalogs made before migrations existed
WRITE = {"newsdesk_write": True}  # execution options of a connection that will write
_MIGRATION_LOCK = 0x6E657773  # "news": one migrator at a time per PostgreSQL database
SQLITE_BUSY_TIMEOUT_S = 60.0
RETRIES = 5  # attempts at a transaction PostgreSQL aborted to break a deadlock or a serialization conflict
_RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def engine_url(location: Path | str) -> str:
    """The SQLAlchemy URL of a catalog: a Path is an SQLite file; ``postgresql://`` and ``postgres://``
    URLs get the psycopg 3 driver."""
    if isinstance(location, Path):
        return f"sqlite:///{location}"
    url = make_url(location)
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.drivername in ("postgresql+psycopg", "sqlite"):
        return location
    raise ConfigError(f"NEWSDESK_DATABASE_URL must be a postgresql:// URL, not {url.drivername}://")


def open_engine(location: Path | str) -> Engine:
    """An engine (nothing connects yet); SQLite's folder is created."""
    url = engine_url(location)
    if url.startswith("sqlite"):
        if isinstance(location, Path):
            location.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin, not by the driver
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        dbapi_connection.execute(f"PRAGMA {pragma}")


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get("newsdesk_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def retryable(exc: DBAPIError) -> bool:
    """Whether the server aborted the transaction only to let a concurrent one through (try it again)."""
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE


def migrate(engine: Engine) -> None:
    """Bring the catalog to the newest revision, in one transaction. A catalog made before migrations
    existed (tables but no ``alembic_version``) is first stamped at the baseline it already has."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    with engine.connect().execution_options(**WRITE) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "articles" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
