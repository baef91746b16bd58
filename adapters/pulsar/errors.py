"""Errors the Pulsar adapter raises, each naming what failed and what to do."""


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
    def __init__(self, url: str, timeout: float, cause: BaseException | None = None) -> None:
        detail = f": {cause}" if cause else ""
        super().__init__(
            f"Pulsar broker at {url} did not answer within {timeout:g}s{detail}. "
            "Is it running and reachable (ALPES_PULSAR_URL)?"
        )
        self.url = url
