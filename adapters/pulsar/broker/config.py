from dataclasses import dataclass, field
from typing import Optional

import pulsar.asyncio
from faststream._internal.configs import BrokerConfig
from faststream.exceptions import IncorrectState

from ..capabilities import APACHE_PULSAR, BrokerCapabilities
from ..delivery import DeadLetterHook
from ..publisher.producer import PulsarProducer


@dataclass(kw_only=True)
class PulsarBrokerConfig(BrokerConfig):
    producer: PulsarProducer = field(default_factory=PulsarProducer)
    capabilities: BrokerCapabilities = APACHE_PULSAR
    role: str | None = None  # the token's role, to name it when the broker refuses it
    on_dead_letter: DeadLetterHook | None = None  # told of every message parked
    _client: Optional["pulsar.asyncio.Client"] = field(default=None, init=False, repr=False)

    @property
    def client(self) -> pulsar.asyncio.Client:
        if self._client is None:
            msg = "Pulsar broker is not connected. Call connect() first."
            raise IncorrectState(msg)
        return self._client

    def connect(self, client: pulsar.asyncio.Client) -> None:
        self._client = client
        self.producer.connect(
            client,
            self.fd_config._serializer,
            codec=self.broker_codec,
            capabilities=self.capabilities,
        )

    async def disconnect(self) -> None:
        await self.producer.disconnect()
        self._client = None
