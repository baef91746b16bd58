"""Async engines for SQLite (the embedded default) and PostgreSQL, tuned for the workers."""

import json
import re
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def async_url(url: str) -> URL:
    """``sqlite:///x.db`` and ``postgresql://...`` get their async drivers."""
    if url.startswith("postgres://"):  # what hosting platforms hand out
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        msg = f"Unsupported database {redact(url)!r}: use sqlite:///path or postgresql://..."
        raise ValueError(msg) from error
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        msg = f"Unsupported database {redact(url)!r}: use sqlite:///path or postgresql://..."
        raise ValueError(msg)
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed


CONNECT_TIMEOUT = 10.0


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(
            parsed, connect_args={"timeout": 30}, json_serializer=dumps_json
        )
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    return create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_serializer=dumps_json,
        # A database that does not answer is an error within this many seconds (asyncpg's
        # default is a minute), for the CLI's one-line report and the workers' retries.
        connect_args={"timeout": CONNECT_TIMEOUT},
    )


def dumps_json(value: Any) -> str:
    """JSON columns' text: orjson (a third of the worker's JSON time), or the standard
    library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers never block the writer; busy_timeout: a second writer waits instead of
    # failing at once; synchronous=NORMAL is durable across process crashes in WAL mode.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=30000",
        "PRAGMA foreign_keys=ON",
    ):
        cursor.execute(pragma)
    cursor.close()


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and messages (even one that does not
    parse as a URL)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
            return "(not a URL)"  # whatever it holds may be a secret put in the wrong place
        return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)
