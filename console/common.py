"""What every command shares: settings, one-line errors instead of tracebacks, output."""

import asyncio
import json
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import pydantic
import typer
from sqlalchemy import exc

from adapters.database.migrate import DatabaseNotAtHeadError
from adapters.pulsar import BrokerUnavailableError, PublishError
from adapters.telemetry import logs
from application.commands.rejection import Rejection
from workers.settings import Settings

T = TypeVar("T")

# Failures a user can fix: shown as one line, never as a traceback.
_USER_ERRORS = (
    LookupError,
    FileNotFoundError,
    IsADirectoryError,
    PermissionError,
    ValueError,
    BrokerUnavailableError,
    PublishError,
    DatabaseNotAtHeadError,
    ConnectionError,
    OSError,
)


def settings() -> Settings:
    try:
        return Settings()
    except pydantic.ValidationError as error:
        first = error.errors(include_url=False)[0]
        name = "ALPES_" + str(first["loc"][0]).upper()
        fail(f"{name}: {first['msg']}")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def run(coroutine: Coroutine[Any, Any, T], *, worker: bool = False) -> T:
    """Run an async command; known failures end in one clear line and a non-zero exit."""
    quiet_logs(worker=worker)
    try:
        return asyncio.run(coroutine)
    except exc.SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        fail(f"database: {str(cause).splitlines()[0]} (ALPES_DATABASE_URL)")
    except Rejection as rejection:
        where = f" ({rejection.field})" if rejection.field else ""
        fail(f"invalid command, {rejection.reason}{where}: {rejection.message}", 2)
    except _USER_ERRORS as error:
        fail(str(error) or type(error).__name__)
    except KeyboardInterrupt:
        fail("interrupted", 130)


def quiet_logs(*, worker: bool = False) -> None:
    """Log WARNING and up, or the level named by ALPES_LOG_LEVEL (e.g. INFO), as text
    lines or, with ALPES_LOG_FORMAT=json, as one JSON object per line.

    pulsar-client's own lines (handed to the "pulsar.client" logger) are shown at INFO
    and DEBUG; otherwise a command's failure is its one error line, and a worker keeps
    the client's warnings (reconnects) but not its lines about refusals (authorization,
    authentication), which the adapter raises as one error naming the topic and role.
    """
    level = getattr(logging, os.environ.get("ALPES_LOG_LEVEL", "WARNING").upper(), None)
    level = level if isinstance(level, int) else logging.WARNING
    try:
        logs.configure(level, os.environ.get("ALPES_LOG_FORMAT", "text"))
    except ValueError as error:
        fail(str(error))
    client = logging.getLogger("pulsar.client")
    if level < logging.WARNING:
        client.setLevel(level)
    elif worker:
        client.setLevel(logging.WARNING)
        if not any(isinstance(f, _RefusalLines) for f in client.filters):
            client.addFilter(_RefusalLines())
    else:
        client.setLevel(logging.CRITICAL)


class _RefusalLines(logging.Filter):
    """Drops pulsar-client's lines about a refusal the adapter reports itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "AuthorizationError" not in message and "AuthenticationError" not in message


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
