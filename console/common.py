"""What every command shares: settings, one-line errors instead of tracebacks, output."""

import asyncio
import json
import logging
import os
import socket
import sys
from collections.abc import Coroutine
from typing import Any, Literal, NoReturn, TypeVar

import pydantic
import typer
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import CONNECT_TIMEOUT, create_engine, redact
from adapters.database.migrate import DatabaseNotAtHeadError
from adapters.pulsar import BrokerUnavailableError, PublishError, PulsarSecurity
from adapters.telemetry import logs
from application.commands.rejection import Rejection
from workers.local import resolve_pulsar
from workers.settings import Settings

T = TypeVar("T")

# Exit codes, one meaning each (`alpes --help` lists them).
OK = 0
ERROR = 1  # it could not be done: a broker or database away, a refusal, a bad file
USAGE = 2  # the command line or a setting is wrong (also Click's own usage errors)
NOT_FOUND = 3  # nothing to show: no such campaign, command or dead letter, or no outcome yet
REJECTED = 4  # the command was refused by the contract or the campaign's rules

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


# Settings whose value may be shown back in an error (never a URL or a credential).
_SHOWN = (
    "flavor",
    "sender",
    "level",
    "format",
    "concurrency",
    "batch_size",
    "port",
    "retention",
    "v1",
)


def settings() -> Settings:
    """The settings, or a one-line error naming the variable (exit 2: a usage error)."""
    try:
        return Settings()
    except pydantic.ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = str(first["loc"][0])
        message = str(first["msg"]).removeprefix("Value error, ")
        if any(part in field for part in _SHOWN) and first["type"] != "value_error":
            message += f", got {str(first.get('input'))[:80]!r}"
        fail(f"ALPES_{field.upper()}: {message}", USAGE)


def broker_access() -> tuple[str, PulsarSecurity]:
    """The broker's URL (ALPES_PULSAR_URL, else the running `alpes dev` broker's) and the
    credentials to reach it; raises LookupError when there is no broker to use."""
    config = settings()
    url, _ = resolve_pulsar(config)
    token = config.pulsar_token.get_secret_value() if config.pulsar_token else None
    return url, PulsarSecurity(token=token, tls_trust_certs_file_path=config.pulsar_tls_trust_certs)


def fail(message: str, code: int = ERROR) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


Role = Literal["runtime", "readonly", "migration"]
_VARIABLES: dict[Role, tuple[str, str]] = {
    "runtime": ("database_url", "ALPES_DATABASE_URL"),
    "readonly": ("readonly_database_url", "ALPES_READONLY_DATABASE_URL"),
    "migration": ("migration_database_url", "ALPES_MIGRATION_DATABASE_URL"),
}
# The database the command is using (redacted URL, variable), for its one-line error
# should it be away. A plain global: a command runs once per process, inside asyncio.run.
_database: list[tuple[str, str]] = []


def database_url(config: Settings, role: Role = "runtime") -> str:
    """The URL of the database role a command uses, remembered for its error message."""
    field, variable = _VARIABLES[role]
    url: str | None = getattr(config, field)
    if url is None:  # falls back to the workers' URL
        url, variable = config.database_url, "ALPES_DATABASE_URL"
    _database[:] = [(redact(url), variable)]
    return url


def engine_for(config: Settings, role: Role = "runtime") -> AsyncEngine:
    return create_engine(database_url(config, role))


def _database_error(cause: BaseException) -> str:
    if isinstance(cause, TimeoutError):
        text = f"did not answer within {CONNECT_TIMEOUT:g}s; is it running and reachable?"
    else:
        text = (str(cause).splitlines() or [type(cause).__name__])[0]
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            text += " (not migrated? run: alpes db upgrade)"
    if not _database:
        return f"database: {text} (ALPES_DATABASE_URL)"
    url, variable = _database[0]
    if url.startswith("sqlite"):
        return f"database: {text} ({variable})"
    return f"database {url} ({variable}): {text}"


def run(coroutine: Coroutine[Any, Any, T], *, worker: bool = False) -> T:
    """Run an async command; known failures end in one clear line and a non-zero exit."""
    try:
        quiet_logs(worker=worker)
    except BaseException:
        coroutine.close()  # never started: no "never awaited" warning under the error
        raise
    try:
        return asyncio.run(coroutine)
    except exc.SQLAlchemyError as error:
        fail(_database_error(getattr(error, "orig", None) or error))
    except (ConnectionError, TimeoutError, socket.gaierror) as error:
        if not _database or isinstance(error, BrokerUnavailableError | PublishError):
            fail(str(error) or type(error).__name__)
        fail(_database_error(error))
    except Rejection as rejection:
        where = f" ({rejection.field})" if rejection.field else ""
        fail(f"invalid command, {rejection.reason}{where}: {rejection.message}", REJECTED)
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
        fail(str(error), USAGE)
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
