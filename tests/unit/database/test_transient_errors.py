"""Which database failures count as outages (ridden out) rather than bugs."""

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError

from adapters.database.engine import create_engine
from adapters.database.errors import is_transient


@pytest.mark.parametrize(
    "message", ["the database system is shutting down", "the database system is starting up"]
)
async def test_a_postgresql_restart_is_a_transient_failure(
    monkeypatch: pytest.MonkeyPatch, message: str
) -> None:
    async def refuse(*args: object, **kwargs: object) -> None:
        raise asyncpg.CannotConnectNowError(message)  # what PostgreSQL answers then

    monkeypatch.setattr(asyncpg, "connect", refuse)
    engine = create_engine("postgresql://alpes:alpes@127.0.0.1:1/alpes")
    try:
        with pytest.raises(Exception) as caught:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert is_transient(caught.value)


async def test_an_unreachable_server_is_transient(tmp_path: object) -> None:
    engine = create_engine("postgresql://alpes:alpes@127.0.0.1:1/alpes")
    try:
        with pytest.raises(Exception) as caught:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert is_transient(caught.value)


def test_a_constraint_violation_is_not_transient() -> None:
    error = IntegrityError("INSERT ...", {}, Exception("duplicate key"))
    assert not is_transient(error)
    assert not is_transient(ValueError("bad data"))
