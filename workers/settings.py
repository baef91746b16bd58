"""Settings from the environment, prefixed ALPES_ (e.g. ALPES_DATABASE_URL)."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALPES_", extra="ignore")

    # Unset: the embedded broker (pulsar-lite) is started by `alpes dev` / `alpes demo`.
    pulsar_url: str | None = None
    # "apache" or "lite": what the broker at pulsar_url is (decides what may be used on it).
    pulsar_flavor: str = "apache"
    pulsar_token: SecretStr | None = None
    pulsar_tls_trust_certs: str | None = None
    # `alpes topics grant`: Apache Pulsar's admin REST API and a superuser's token.
    pulsar_admin_url: str | None = None
    pulsar_admin_token: SecretStr | None = None
    # The workers' database role (DML); see migration_url and readonly_url.
    database_url: str = "sqlite:///var/alpes.db"
    # Least privilege: migrations (DDL) and the CLI's queries may connect as other roles.
    migration_database_url: str | None = None
    readonly_database_url: str | None = None
    data_dir: Path = Path("var")
    log_level: str = "WARNING"  # read by the CLI before anything else
    log_format: str = "text"  # text | json (one JSON object per line); read by the CLI
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
    notification_sender: str = "log"  # log | smtp
    notification_file: Path | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "alpes@localhost"
    smtp_to: str = "ops@localhost"

    @property
    def migration_url(self) -> str:
        """What `alpes db upgrade` (and `alpes dev`) migrate with: the schema's owner."""
        return self.migration_database_url or self.database_url

    @property
    def readonly_url(self) -> str:
        """What the CLI's queries (`campaign show/list`, `command status`) read with."""
        return self.readonly_database_url or self.database_url
