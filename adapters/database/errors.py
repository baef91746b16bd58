"""Which database failures are outages (retry later) rather than bugs or bad data."""

import asyncpg
from sqlalchemy import exc

from application.errors import ConcurrencyError

__all__ = ("ConcurrencyError", "is_transient")


def is_transient(error: BaseException) -> bool:
    """True for a database that is unreachable, restarting or overloaded right now."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.DBAPIError | exc.InterfaceError):
        error = error.orig or error
    # SQLAlchemy's asyncpg dialect raises its own adapter error `from` the driver's (e.g.
    # CannotConnectNowError while PostgreSQL shuts down or starts up): judge the driver's.
    if isinstance(error.__cause__, asyncpg.PostgresError | asyncpg.InterfaceError):
        error = error.__cause__
    if isinstance(error, exc.TimeoutError | TimeoutError | ConnectionError | OSError):
        return True  # pool timeout, refused or reset connections
    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.InterfaceError
        | asyncpg.exceptions.AdminShutdownError
        | asyncpg.exceptions.CrashShutdownError,
    ) or _sqlite_unavailable(error)


def _sqlite_unavailable(error: BaseException) -> bool:
    text = str(error)
    return type(error).__name__ == "OperationalError" and (
        "unable to open database" in text or "disk I/O error" in text
    )
