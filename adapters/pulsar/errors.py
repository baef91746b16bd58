"""Errors the Pulsar adapter raises, each naming what failed and what to do."""

import re


class PulsarAdapterError(Exception):
    """Base of the adapter's own errors."""


class PublishError(PulsarAdapterError):
    """A message was not stored by the broker. Nothing was published; retrying is safe
    when the message carries a stable id the consumers deduplicate on."""

    def __init__(self, topic: str, cause: BaseException) -> None:
        super().__init__(f"Publishing to {topic!r} failed: {cause}")
        self.topic = topic
        self.cause = cause


class BrokerUnavailableError(PulsarAdapterError, ConnectionError):
    def __init__(
        self,
        url: str,
        timeout: float,
        cause: BaseException | None = None,
        *,
        refused: bool = False,
    ) -> None:
        text = str(cause).strip() if cause is not None else ""
        detail = f": {text}" if text else ""
        if refused:  # the host answered: nothing listens on that port
            message = (
                f"Pulsar broker at {url} refused the connection (nothing listens there). "
                "Is it running, and is ALPES_PULSAR_URL right?"
            )
        else:
            message = (
                f"Pulsar broker at {url} did not answer within {timeout:g}s{detail}. "
                "Is it running and reachable (ALPES_PULSAR_URL)?"
            )
        super().__init__(message)
        self.url = url


class TopicNotFoundError(PulsarAdapterError, LookupError):
    """The broker has no such topic, and does not create it on demand."""

    def __init__(self, url: str, topic: str, cause: BaseException) -> None:
        super().__init__(
            f"Pulsar at {url} has no topic {topic!r} and does not create it on demand "
            "(or its tenant or namespace does not exist): check the name, or create it first."
        )
        self.url = url
        self.topic = topic
        self.cause = cause


class AccessDeniedError(PulsarAdapterError, PermissionError):
    """The broker refused a role an action on a topic (Pulsar's AuthorizationError)."""

    def __init__(self, action: str, topic: str, role: str | None, cause: BaseException) -> None:
        who = f"role {role!r}" if role else "this client (no token)"
        Exception.__init__(
            self,
            f"Pulsar refused {who} to {action} on {topic}: {_reason(cause)}. Grant it "
            "(`alpes topics grant`) or use the token of a role that may.",
        )
        self.action = action
        self.topic = topic
        self.role = role
        self.cause = cause


class PublishDeniedError(AccessDeniedError, PublishError):
    """A publish the broker refused for want of the produce permission."""

    def __init__(self, topic: str, role: str | None, cause: BaseException) -> None:
        AccessDeniedError.__init__(self, "produce", topic, role, cause)


class ConnectionRefusedByBrokerError(PulsarAdapterError, PermissionError):
    """The broker (or its TLS layer) refused to let this client connect at all."""

    def __init__(self, url: str, who: str, refusal: str) -> None:
        fix = (
            "Use a CA file that signed the broker's certificate (ALPES_PULSAR_TLS_TRUST_CERTS)"
            if refusal.startswith("TLS")
            else "Use a valid, unexpired token signed with the broker's key (ALPES_PULSAR_TOKEN)"
        )
        super().__init__(f"Pulsar at {url} refused {who}: {refusal}. {fix}.")
        self.url = url
        self.refusal = refusal


def _reason(cause: BaseException) -> str:
    """pulsar-client's text, e.g. 'AuthorizationError: Client is not authorized to ...'."""
    text = str(cause).strip()
    text = re.sub(r"^\d+ (?=\w)", "", text)  # the result code before its name
    return text if text and not text.isdigit() else type(cause).__name__
