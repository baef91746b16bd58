"""A FastStream broker for Apache Pulsar, built on pulsar-client's asyncio API.

FastStream ships no Pulsar broker. This one follows the anatomy of FastStream's own
brokers (broker/, subscriber/, publisher/, message, parser, response, testing) and
adds what a worker service needs from Pulsar: settlement mapped to acknowledge /
negative acknowledge / dead-letter topic, no message lost to a cancelled receive,
bounded in-flight sends whose every failure raises, key-ordered concurrency, and a
graceful stop. See docs/brokers.md.

Everything a worker needs is exported here, including FastStream's ``ContextRepo``
(the type of ``broker.context``), so that nothing outside this package imports
``faststream._internal``.
"""

from faststream._internal.context.repository import ContextRepo

from .broker.broker import PulsarBroker
from .capabilities import APACHE_PULSAR, PULSAR_LITE, BrokerCapabilities
from .decoders import raw_body
from .delivery import (
    DLQ_AT,
    DLQ_ATTEMPTS,
    DLQ_EXCEPTION_MESSAGE,
    DLQ_EXCEPTION_TYPE,
    DLQ_ORIGIN_MESSAGE_ID,
    DLQ_REAL_TOPIC,
    DLQ_REASON,
    DLQ_SUBSCRIPTION,
    DeadLetterHook,
    Delivery,
    DeliveryBatch,
)
from .errors import (
    AccessDeniedError,
    BrokerUnavailableError,
    ConnectionRefusedByBrokerError,
    PublishDeniedError,
    PublishError,
    PulsarAdapterError,
    TopicNotFoundError,
)
from .message import PulsarBatchMessage, PulsarMessage, current_batch, current_message
from .options import DeadLetterPolicy, InitialPosition, SubscriptionType
from .publisher.producer import OutgoingMessage
from .publisher.usecase import PulsarPublisher
from .reader import PulsarReader, ReadMessage
from .receiver import Receiver
from .response import PulsarResponse
from .router import PulsarRouter
from .security import PulsarSecurity
from .subscriber.usecase import PulsarSubscriber
from .testing import TestPulsarBroker

__all__ = (
    "APACHE_PULSAR",
    "DLQ_AT",
    "DLQ_ATTEMPTS",
    "DLQ_EXCEPTION_MESSAGE",
    "DLQ_EXCEPTION_TYPE",
    "DLQ_ORIGIN_MESSAGE_ID",
    "DLQ_REAL_TOPIC",
    "DLQ_REASON",
    "DLQ_SUBSCRIPTION",
    "PULSAR_LITE",
    "AccessDeniedError",
    "BrokerCapabilities",
    "BrokerUnavailableError",
    "ConnectionRefusedByBrokerError",
    "ContextRepo",
    "DeadLetterHook",
    "DeadLetterPolicy",
    "Delivery",
    "DeliveryBatch",
    "InitialPosition",
    "OutgoingMessage",
    "PublishDeniedError",
    "PublishError",
    "PulsarAdapterError",
    "PulsarBatchMessage",
    "PulsarBroker",
    "PulsarMessage",
    "PulsarPublisher",
    "PulsarReader",
    "PulsarResponse",
    "PulsarRouter",
    "PulsarSecurity",
    "PulsarSubscriber",
    "ReadMessage",
    "Receiver",
    "SubscriptionType",
    "TestPulsarBroker",
    "TopicNotFoundError",
    "current_batch",
    "current_message",
    "raw_body",
)
