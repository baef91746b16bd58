"""Apache Pulsar's admin REST API, for what the service administers: topics and who may
use them (``/admin/v2``). pulsar-client has no admin API, and pulsar-lite has none at all.

The token is sent as a bearer header and never appears in errors; refusals name the
URL path, the role the token claims and the broker's reason.
"""

import json
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import quote

from adapters.pulsar.tokens import TokenClaims

ACTIONS = ("produce", "consume")


class AdminError(Exception):
    """The admin API refused or failed a request."""

    def __init__(self, method: str, path: str, who: str, status: int | None, reason: str) -> None:
        answer = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"Pulsar admin API: {method} {path} as {who}: {answer}, {reason}")
        self.status = status


class AdminRefusedError(AdminError, PermissionError):
    """401/403: the token is not accepted, or its role may not administer this."""


class PulsarAdmin:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        tls_trust_certs_file_path: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        # Whatever user information the URL holds is never shown (the token authenticates).
        self.shown_url = _without_userinfo(url.rstrip("/"))
        if not url.startswith(("http://", "https://")):
            msg = f"Pulsar admin URL must start with http:// or https://, got {self.shown_url!r}"
            raise ValueError(msg)
        self.url = url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._tls = ssl.create_default_context(cafile=tls_trust_certs_file_path)
        self.who = TokenClaims.read(token).describe() if token else "an anonymous client (no token)"

    def ensure_topic(self, topic: str) -> bool:
        """Create a non-partitioned topic unless it exists; True if it was created.
        (Pulsar refuses permissions on a topic that does not exist yet.)"""
        try:
            self._call("PUT", _topic_path(topic))
        except AdminError as error:
            if error.status == 409:
                return False
            raise
        return True

    def grant_on_topic(self, topic: str, role: str, actions: Sequence[str]) -> None:
        unknown = set(actions) - set(ACTIONS)
        if unknown:
            msg = f"unknown action(s) {sorted(unknown)}; Pulsar topic actions are {ACTIONS}"
            raise ValueError(msg)
        path = f"{_topic_path(topic)}/permissions/{quote(role, safe='')}"
        self._call("POST", path, list(actions))

    def topic_permissions(self, topic: str) -> dict[str, list[str]]:
        """Role -> actions granted on the topic itself (namespace grants not included)."""
        answer = self._call("GET", f"{_topic_path(topic)}/permissions")
        return answer if isinstance(answer, dict) else {}

    def grant_subscription(self, namespace: str, subscription: str, roles: Sequence[str]) -> None:
        """Only ``roles`` (and superusers) may use ``subscription`` on the namespace's topics."""
        tenant_ns = namespace.removeprefix("persistent://")
        path = f"/admin/v2/namespaces/{tenant_ns}/permissions/subscription/{quote(subscription)}"
        self._call("POST", path, list(roles))

    def _call(self, method: str, path: str, body: object | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(
                request, timeout=self._timeout, context=self._tls
            ) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            reason = _reason(error.read().decode(errors="replace")) or error.reason
            kind = AdminRefusedError if error.code in (401, 403) else AdminError
            raise kind(method, path, self.who, error.code, str(reason)) from None
        except (urllib.error.URLError, OSError) as error:
            cause = getattr(error, "reason", error)
            reason = str(cause).replace(self.url, self.shown_url)
            raise AdminError(method, self.shown_url + path, self.who, None, reason) from None
        return json.loads(text) if text.strip() else None


def _without_userinfo(url: str) -> str:
    """``https://user:secret@host`` -> ``https://***@host``."""
    return re.sub(r"^([a-z+]+://)[^@/]*@", r"\1***@", url)


def _topic_path(topic: str) -> str:
    """``persistent://t/ns/name`` -> ``/admin/v2/persistent/t/ns/name`` (name quoted)."""
    domain, sep, rest = topic.partition("://")
    parts = rest.split("/")
    if not sep or domain not in ("persistent", "non-persistent") or len(parts) != 3:
        msg = f"not a full topic name: {topic!r}; expected persistent://tenant/namespace/topic"
        raise ValueError(msg)
    tenant, namespace, name = parts
    return f"/admin/v2/{domain}/{tenant}/{namespace}/{quote(name, safe='')}"


def _reason(body: str) -> str:
    """Pulsar's ``{"reason": ...}``, or the first line of an HTML error page's message."""
    try:
        parsed = json.loads(body)
    except ValueError:
        marker = "<th>MESSAGE:</th><td>"
        if marker in body:
            return body.split(marker, 1)[1].split("<", 1)[0]
        return body.strip().splitlines()[0][:200] if body.strip() else ""
    return str(parsed.get("reason", parsed)) if isinstance(parsed, dict) else str(parsed)
