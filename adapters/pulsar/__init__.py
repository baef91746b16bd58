"""A FastStream broker for Apache Pulsar, built on pulsar-client's asyncio API.

FastStream ships no Pulsar broker. This one follows the anatomy of FastStream's own
brokers (broker/, subscriber/, publisher/, message, parser, response, testing) and
adds what a worker service needs from Pulsar: settlement mapped to acknowledge /
negative acknowledge / dead-letter topic, no message lost to a cancelled receive,
bounded in-flight sends whose every failure raises, key-ordered concurrency, and a
graceful stop. See docs/brokers.md.
"""

from .broker.broker import PulsarBroker
from .capabilities import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities
from .delivery import Delivery
from .errors import (
    AccessDeniedError,
    BrokerUnavailableError,
    ConnectionRefusedByBrokerError,
    PublishDeniedError,
    PublishError,
    PulsarAdapterError,
)
from .message import PulsarMessage
from .options import DeadLetterPolicy, InitialPosition, SubscriptionType
from .publisher.producer import OutgoingMessage
from .publisher.usecase import PulsarPublisher
from .reader import PulsarReader, ReadMessage
from .response import PulsarResponse
from .router import PulsarRouter
from .security import PulsarSecurity
from .subscriber.usecase import PulsarSubscriber
from .testing import TestPulsarBroker

__all__ = (
    "APACHE_PULSAR",
    "PULSAR_LITE",
    "AccessDeniedError",
    "BrokerCapabilities",
    "BrokerUnavailableError",
    "ConnectionRefusedByBrokerError",
    "DeadLetterPolicy",
    "Delivery",
    "InitialPosition",
    "OutgoingMessage",
    "PublishDeniedError",
    "PublishError",
    "PulsarAdapterError",
    "PulsarBroker",
    "PulsarMessage",
    "PulsarPublisher",
    "PulsarReader",
    "PulsarResponse",
    "PulsarRouter",
    "PulsarSecurity",
    "PulsarSubscriber",
    "ReadMessage",
    "SubscriptionType",
    "TestPulsarBroker",
)
