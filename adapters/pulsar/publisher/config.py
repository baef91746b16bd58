from dataclasses import dataclass, field

from faststream._internal.configs import PublisherSpecificationConfig, PublisherUsecaseConfig

from ..broker.config import PulsarBrokerConfig


@dataclass(kw_only=True)
class PulsarPublisherSpecificationConfig(PublisherSpecificationConfig):
    topic: str


@dataclass(kw_only=True)
class PulsarPublisherConfig(PublisherUsecaseConfig):
    _outer_config: PulsarBrokerConfig = field(default_factory=PulsarBrokerConfig)

    topic: str
    headers: dict[str, str] | None = None
    producer_name: str | None = None
