"""Which producers batch by key: those of the topics named (every topic when none is),
and only where the broker has Key_Shared."""

from typing import Any

import pulsar
import pytest

from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities
from adapters.pulsar.publisher.producer import PulsarProducer


class RecordingClient:
    def __init__(self) -> None:
        self.created: dict[str, Any] = {}

    async def create_producer(self, topic: str, **options: Any) -> object:
        self.created[topic] = options["batching_type"]
        return object()


@pytest.mark.parametrize(
    ("capabilities", "batch_by_key", "expected"),
    [
        (APACHE_PULSAR, None, {"a": "KeyBased", "b": "KeyBased"}),
        (APACHE_PULSAR, ("a",), {"a": "KeyBased", "b": "Default"}),
        (PULSAR_LITE, ("a",), {"a": "Default", "b": "Default"}),
    ],
)
async def test_the_batching_type_follows_the_topics_named_and_the_broker(
    capabilities: BrokerCapabilities,
    batch_by_key: tuple[str, ...] | None,
    expected: dict[str, str],
) -> None:
    producer = PulsarProducer(batching=True, batch_by_key=batch_by_key)
    client = RecordingClient()
    producer.connect(client, None, None, capabilities)  # type: ignore[arg-type]
    for topic in ("a", "b"):
        await producer._producer(topic, None)
    assert client.created == {
        topic: getattr(pulsar.BatchingType, kind) for topic, kind in expected.items()
    }
