"""Token authentication and TLS for the Pulsar client, described for AsyncAPI too."""

from typing import Any

import pulsar
from faststream.security import BaseSecurity
from typing_extensions import override

from .tokens import TokenClaims


class PulsarSecurity(BaseSecurity):
    """JWT token auth and TLS options.

    TLS is on when ``use_tls`` is set or the URL is ``pulsar+ssl://``. The token never
    appears in ``repr`` or logs.
    """

    __slots__ = (
        "tls_allow_insecure_connection",
        "tls_certificate_file_path",
        "tls_private_key_file_path",
        "tls_trust_certs_file_path",
        "tls_validate_hostname",
        "token",
    )

    def __init__(
        self,
        *,
        token: str | None = None,
        use_tls: bool = False,
        tls_trust_certs_file_path: str | None = None,
        tls_validate_hostname: bool = True,
        tls_allow_insecure_connection: bool = False,
        tls_certificate_file_path: str | None = None,
        tls_private_key_file_path: str | None = None,
    ) -> None:
        super().__init__(use_ssl=use_tls or tls_trust_certs_file_path is not None)
        self.token = token
        self.tls_trust_certs_file_path = tls_trust_certs_file_path
        self.tls_validate_hostname = tls_validate_hostname
        self.tls_allow_insecure_connection = tls_allow_insecure_connection
        self.tls_certificate_file_path = tls_certificate_file_path
        self.tls_private_key_file_path = tls_private_key_file_path

    def __repr__(self) -> str:
        token = "'***'" if self.token else "None"
        return f"PulsarSecurity(token={token}, use_tls={self.use_ssl})"

    @property
    def role(self) -> str | None:
        """The role the token claims (its ``sub``), unverified: for messages only."""
        return TokenClaims.read(self.token).subject if self.token else None

    def describe(self) -> str:
        """Who this client is, for errors: ``role 'x'`` (expired or not), or no token."""
        return TokenClaims.read(self.token).describe() if self.token else "a client without a token"

    def client_kwargs(self, url: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.token:
            kwargs["authentication"] = pulsar.AuthenticationToken(self.token)
        if self.use_ssl or url.startswith("pulsar+ssl://"):
            kwargs |= {
                "use_tls": True,
                "tls_validate_hostname": self.tls_validate_hostname,
                "tls_allow_insecure_connection": self.tls_allow_insecure_connection,
            }
            for name in (
                "tls_trust_certs_file_path",
                "tls_certificate_file_path",
                "tls_private_key_file_path",
            ):
                if (value := getattr(self, name)) is not None:
                    kwargs[name] = value
        return kwargs

    @override
    def get_requirement(self) -> list[dict[str, Any]]:
        return [{"token": []}] if self.token else []

    @override
    def get_schema(self) -> dict[str, dict[str, str]]:
        if not self.token:
            return {}
        return {"token": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
