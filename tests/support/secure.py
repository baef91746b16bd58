"""Apache Pulsar with security on, for the tests: the broker a `pulsar-standalone --secure`
started (tests.support.servers.apache_pulsar, on free ports and its own data dir: the
plain standalone can run beside it), tokens issued per role with the run's secret key,
and the service's permissions applied by the real `alpes topics grant`."""

import logging
import os
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pulsar
import pulsar.asyncio

from tests.support.servers.workers import ALPES

_LOG = logging.getLogger("pulsar.client.tests.secure")

SERVICE = "service"
PRODUCER = "command-producer"
CONSUMER = "event-consumer"
CONSUMER_SUBSCRIPTION = "event-consumer"


@dataclass
class SecureBroker:
    url: str  # pulsar+ssl://
    admin_url: str  # https://
    ca: str  # the CA file that signed the broker's certificate
    secret_key: Path  # the HS256 key tokens are signed with
    admin_token_file: Path  # the superuser's token, issued by Pulsar's own TokensCliUtils

    def token(self, role: str, expires_in: float = 3600) -> str:
        claims = {"sub": role, "exp": int(time.time() + expires_in)}
        return jwt.encode(claims, self.secret_key.read_bytes(), algorithm="HS256")

    def forged_token(self, role: str) -> str:
        """A well-formed token for ``role``, signed with another key."""
        return jwt.encode({"sub": role}, b"not-the-broker-key-" * 2, algorithm="HS256")

    def admin_token(self) -> str:
        return self.admin_token_file.read_text().strip()

    def env(self, token: str | None, **extra: str) -> dict[str, str]:
        """The environment of an `alpes` process that uses this broker with ``token``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALPES_")}
        env |= {
            "ALPES_PULSAR_URL": self.url,
            "ALPES_PULSAR_TLS_TRUST_CERTS": self.ca,
            "ALPES_PULSAR_ADMIN_URL": self.admin_url,
        }
        if token is not None:
            env["ALPES_PULSAR_TOKEN"] = token
        return env | extra

    @asynccontextmanager
    async def client(
        self, token: str | None, *, trust: bool = True, timeout: int = 5
    ) -> AsyncIterator[pulsar.asyncio.Client]:
        """A plain pulsar-client, as an outside service would use it."""
        kwargs: dict[str, Any] = {"use_tls": True, "tls_validate_hostname": True}
        if trust:
            kwargs["tls_trust_certs_file_path"] = self.ca
        if token is not None:
            kwargs["authentication"] = pulsar.AuthenticationToken(token)
        client = pulsar.asyncio.Client(
            self.url, logger=_LOG, operation_timeout_seconds=timeout, **kwargs
        )
        try:
            yield client
        finally:
            await client.close()


def secure_broker(urls: dict[str, str]) -> SecureBroker:
    """The broker a secured standalone's ``start`` printed."""
    return SecureBroker(
        url=urls["PULSAR_SERVICE_URL"],
        admin_url=urls["PULSAR_WEB_URL"],
        ca=urls["PULSAR_TLS_TRUST_CERTS"],
        secret_key=Path(urls["PULSAR_TOKEN_SECRET_KEY"]),
        admin_token_file=Path(urls["PULSAR_ADMIN_TOKEN_FILE"]),
    )


def grant(broker: SecureBroker) -> subprocess.CompletedProcess[str]:
    """`alpes topics grant` with the superuser's token, as an operator runs it."""
    env = broker.env(None, ALPES_PULSAR_ADMIN_TOKEN=broker.admin_token())
    return subprocess.run(
        [ALPES, "topics", "grant", "--consumer-subscription", CONSUMER_SUBSCRIPTION],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
