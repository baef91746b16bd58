"""What a Pulsar token says about itself (its role and expiry), read without verifying it.

Only the broker can verify a token; the client reads the claims to name the role in
errors and to say when a token has expired. The token itself is never shown.
"""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str | None  # the role Pulsar authorizes
    expires_at: datetime | None

    @classmethod
    def read(cls, token: str) -> "TokenClaims":
        """The claims of a JWT, or empty claims when it is not one (never raises)."""
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError, UnicodeDecodeError):
            return cls(None, None)
        if not isinstance(claims, dict):
            return cls(None, None)
        subject = claims.get("sub")
        expiry = claims.get("exp")
        return cls(
            subject if isinstance(subject, str) else None,
            datetime.fromtimestamp(expiry, UTC) if isinstance(expiry, int | float) else None,
        )

    def describe(self, now: datetime | None = None) -> str:
        """``role 'x'``, with ``, expired at ...`` when it has."""
        role = f"role {self.subject!r}" if self.subject else "a token without a role (no 'sub')"
        now = now or datetime.now(UTC)
        if self.expires_at is not None and self.expires_at <= now:
            return f"{role}, expired at {self.expires_at.isoformat(timespec='seconds')}"
        return role
