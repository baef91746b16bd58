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
from workers.campaigns.rejection import Rejection
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


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an async command; known failures end in one clear line and a non-zero exit."""
    quiet_logs()
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


def quiet_logs() -> None:
    """Log WARNING and up, or the level named by ALPES_LOG_LEVEL (e.g. INFO)."""
    level = os.environ.get("ALPES_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pulsar.client").setLevel(logging.WARNING)


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
