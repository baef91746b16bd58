"""Settings from the environment, prefixed ALPES_ (e.g. ALPES_DATABASE_URL).

Each is checked when read: a wrong value is a one-line error naming the variable, and a
URL in an error never shows its password.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.database.engine import redact

LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: object) -> object:
    """``30d``, ``12h``, ``90m``, ``45s`` or a number of seconds; ``0`` or ``off``: never."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("off", "0", ""):
            return timedelta(0)
        if match := _DURATION.match(text):
            return timedelta(seconds=float(match[1]) * _UNITS[match[2]])
        if text.replace(".", "", 1).isdigit():
            return timedelta(seconds=float(text))
        msg = f"expected a duration such as 30d, 12h, 90m or 45s (or off), got {value!r}"
        raise ValueError(msg)
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def database_url(value: object) -> object:
    """``sqlite:///path`` or ``postgresql://...`` (``postgres://``, as hosting platforms
    hand it out, is taken for ``postgresql://``)."""
    if not isinstance(value, str):
        return value
    if value.startswith("postgres://"):
        value = "postgresql://" + value.removeprefix("postgres://")
    try:
        backend = make_url(value).get_backend_name()
    except ArgumentError:
        backend = None
    if backend not in ("sqlite", "postgresql"):
        msg = (
            f"unsupported database {redact(value)!r}: use sqlite:///path or "
            "postgresql://user:password@host/db"
        )
        raise ValueError(msg)
    return value


DatabaseUrl = Annotated[str, BeforeValidator(database_url)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALPES_", extra="ignore")

    # Unset: the embedded broker (pulsar-lite) is started by `alpes dev` / `alpes demo`.
    pulsar_url: str | None = None
    # What the broker at pulsar_url is (decides what may be used on it).
    pulsar_flavor: Literal["apache", "lite"] = "apache"
    pulsar_token: SecretStr | None = None
    pulsar_tls_trust_certs: str | None = None
    # `alpes topics grant`: Apache Pulsar's admin REST API and a superuser's token.
    pulsar_admin_url: str | None = None
    pulsar_admin_token: SecretStr | None = None
    # The workers' database role (DML); see migration_url and readonly_url.
    database_url: DatabaseUrl = "sqlite:///var/alpes.db"
    # Least privilege: migrations (DDL) and the CLI's queries may connect as other roles.
    migration_database_url: DatabaseUrl | None = None
    readonly_database_url: DatabaseUrl | None = None
    data_dir: Path = Path("var")
    log_level: LogLevel = "WARNING"  # read by the CLI before anything else
    log_format: Literal["text", "json"] = "text"  # json: one object per line; read by the CLI
    # The operations endpoint (/metrics, /healthz, /readyz) of `alpes worker run` and
    # `alpes dev`: off unless a port is set; 0 takes any free port (the log line names it).
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"  # 0.0.0.0 in a container, for the scraper
    # Commands in flight per command topic, received as two batches of half as many.
    command_concurrency: int = 512
    # Commands written in one transaction at most (micro-batched Unit of Work).
    command_batch_size: int = 500
    # Publish every event on the deprecated v1 topics too, besides the v2 stream.
    publish_v1_events: bool = True
    # Retention: published outbox rows and command-log rows older than these are deleted
    # in the background (0 or "off": kept for ever). A command redelivered after its
    # command-log row is gone is applied again: keep the command log longer than any
    # redelivery or redrive can take.
    outbox_retention: Duration = timedelta(days=7)
    command_log_retention: Duration = timedelta(days=30)
    # How often the relay's purger looks for rows past their retention, once caught up.
    retention_interval: Duration = timedelta(seconds=60)
    notification_sender: Literal["log", "smtp"] = "log"
    notification_file: Path | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "alpes@localhost"
    smtp_to: str = "ops@localhost"
    # Seconds between a worker process's heartbeats (`alpes status` lists recent ones).
    heartbeat_interval: Annotated[float, Field(gt=0)] = 5.0

    @field_validator(
        "log_level", "log_format", "pulsar_flavor", "notification_sender", mode="before"
    )
    @classmethod
    def _case(cls, value: object, info: object) -> object:
        if not isinstance(value, str):
            return value
        field = getattr(info, "field_name", "")
        return value.strip().upper() if field == "log_level" else value.strip().lower()

    @field_validator("retention_interval")
    @classmethod
    def _positive_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            msg = "expected a duration above zero, such as 60s or 5m"
            raise ValueError(msg)
        return value

    @field_validator("pulsar_url")
    @classmethod
    def _pulsar_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("pulsar://", "pulsar+ssl://")):
            msg = f"expected pulsar://host:6650 or pulsar+ssl://host:6651, got {redact(value)!r}"
            raise ValueError(msg)
        return value

    @property
    def migration_url(self) -> str:
        """What `alpes db upgrade` (and `alpes dev`) migrate with: the schema's owner."""
        return self.migration_database_url or self.database_url

    @property
    def readonly_url(self) -> str:
        """What the CLI's queries (`campaign show/list`, `command status`) read with."""
        return self.readonly_database_url or self.database_url
