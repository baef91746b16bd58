"""What the client reads from a token (its role, its expiry) without the broker's key, and
never the token itself in a message."""

from datetime import UTC, datetime

import pytest

from adapters.pulsar import PulsarSecurity
from adapters.pulsar.tokens import TokenClaims

pytestmark = pytest.mark.security

# {"sub": "service", "exp": 1700000000} signed with an arbitrary key
TOKEN = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZXJ2aWNlIiwiZXhwIjoxNzAwMDAwMDAwfQ."
    "c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
)


def test_the_role_and_expiry_are_read_from_the_token() -> None:
    claims = TokenClaims.read(TOKEN)
    assert claims == TokenClaims("service", datetime.fromtimestamp(1700000000, UTC))
    assert claims.describe(datetime(2020, 1, 1, tzinfo=UTC)) == "role 'service'"
    assert claims.describe() == "role 'service', expired at 2023-11-14T22:13:20+00:00"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "a.bnVsbA.c"])
def test_anything_else_has_no_claims(token: str) -> None:
    assert TokenClaims.read(token) == TokenClaims(None, None)
    assert TokenClaims.read(token).describe() == "a token without a role (no 'sub')"


def test_the_security_names_the_role_never_the_token() -> None:
    security = PulsarSecurity(token=TOKEN)
    assert security.role == "service"
    assert TOKEN not in repr(security) + security.describe()
    assert PulsarSecurity().describe() == "a client without a token"
