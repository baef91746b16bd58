from typing import Any

from ..broker.config import PulsarBrokerConfig
from .config import PulsarPublisherConfig, PulsarPublisherSpecificationConfig
from .specification import PulsarPublisherSpecification
from .usecase import PulsarPublisher


def create_publisher(
    *,
    topic: str,
    headers: dict[str, str] | None,
    producer_name: str | None,
    broker_config: PulsarBrokerConfig,
    schema_: Any | None,
    title_: str | None,
    description_: str | None,
    include_in_schema: bool,
) -> PulsarPublisher:
    if not topic:
        msg = "A publisher needs a topic."
        raise ValueError(msg)
    publisher_config = PulsarPublisherConfig(
        topic=topic,
        headers=headers,
        producer_name=producer_name,
        _outer_config=broker_config,
    )
    specification = PulsarPublisherSpecification(
        _outer_config=broker_config,
        specification_config=PulsarPublisherSpecificationConfig(
            topic=topic,
            schema_=schema_,
            title_=title_,
            description_=description_,
            include_in_schema=include_in_schema,
        ),
    )
    return PulsarPublisher(publisher_config, specification)
