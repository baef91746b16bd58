"""Who may do what on the secured Apache Pulsar: each role's allowed and refused actions,
as the real broker answers them after `alpes topics grant`, and the connections it refuses
(no token, an expired or forged one, a client that does not trust the CA)."""

import logging
import re
import uuid
from dataclasses import dataclass

import pulsar
import pulsar.asyncio
import pytest

from adapters.pulsar import PublishDeniedError, PulsarBroker, PulsarSecurity
from adapters.pulsar.handshake import refusal
from contracts.topics import COMMAND_TOPICS, COMMANDS_V2, EVENT_TOPICS, EVENTS_V2
from tests.support.secure import (
    CONSUMER,
    CONSUMER_SUBSCRIPTION,
    PRODUCER,
    SERVICE,
    SecureBroker,
)
from workers.commands import SUBSCRIPTION as COMMANDS_SUBSCRIPTION
from workers.permissions import dead_letter_topics
from workers.projector import SUBSCRIPTION as PROJECTOR_SUBSCRIPTION

pytestmark = [pytest.mark.security, pytest.mark.timeout(300)]

BROKER_REFUSAL = r"Client is not authorized to (Get Partition Metadata|subscribe|Produce)"
COMMAND_V1 = COMMAND_TOPICS["crear-campana"]
EVENT_V1 = EVENT_TOPICS["campana-creada"]
COMMAND_DLQ = next(t for t in dead_letter_topics() if t.startswith(COMMANDS_V2))


@dataclass(frozen=True)
class Case:
    role: str
    action: str  # "produce" or "consume"
    topic: str
    subscription: str | None = None
    allowed: bool = False

    def __str__(self) -> str:
        where = self.topic.rsplit("/", 1)[-1]
        sub = f"[{self.subscription}]" if self.subscription else ""
        return f"{self.role}-{self.action}-{where}{sub}-{'ok' if self.allowed else 'refused'}"


MATRIX = [
    # the service: consumes commands, produces and consumes events and dead letters
    Case(SERVICE, "consume", COMMANDS_V2, COMMANDS_SUBSCRIPTION, allowed=True),
    Case(SERVICE, "consume", COMMAND_V1, COMMANDS_SUBSCRIPTION, allowed=True),
    Case(SERVICE, "produce", EVENTS_V2, allowed=True),
    Case(SERVICE, "produce", EVENT_V1, allowed=True),
    Case(SERVICE, "consume", EVENTS_V2, PROJECTOR_SUBSCRIPTION, allowed=True),
    Case(SERVICE, "produce", COMMAND_DLQ, allowed=True),
    Case(SERVICE, "produce", COMMANDS_V2),
    Case(SERVICE, "consume", EVENTS_V2, CONSUMER_SUBSCRIPTION),
    # a command producer: commands in, nothing else
    Case(PRODUCER, "produce", COMMANDS_V2, allowed=True),
    Case(PRODUCER, "produce", COMMAND_V1, allowed=True),
    Case(PRODUCER, "produce", EVENTS_V2),
    Case(PRODUCER, "produce", EVENT_V1),
    Case(PRODUCER, "consume", COMMANDS_V2, "outsider"),
    Case(PRODUCER, "consume", EVENTS_V2, "outsider"),
    Case(PRODUCER, "produce", COMMAND_DLQ),
    # an event consumer: events out, on its own subscription only
    Case(CONSUMER, "consume", EVENTS_V2, CONSUMER_SUBSCRIPTION, allowed=True),
    Case(CONSUMER, "consume", EVENT_V1, CONSUMER_SUBSCRIPTION, allowed=True),
    Case(CONSUMER, "consume", EVENTS_V2, PROJECTOR_SUBSCRIPTION),
    Case(CONSUMER, "produce", COMMANDS_V2),
    Case(CONSUMER, "produce", COMMAND_V1),
    Case(CONSUMER, "consume", COMMANDS_V2, COMMANDS_SUBSCRIPTION),
    Case(CONSUMER, "consume", COMMAND_V1, CONSUMER_SUBSCRIPTION),
    Case(CONSUMER, "produce", EVENTS_V2),
]


async def attempt(broker: SecureBroker, case: Case) -> None:
    """Do the case's action for real: a send, or a subscription (then unsubscribed)."""
    async with broker.client(broker.token(case.role)) as client:
        if case.action == "produce":
            producer = await client.create_producer(case.topic, batching_enabled=False)
            await producer.send(b'{"probe": true}', partition_key="c-access")
            await producer.close()
        else:
            assert case.subscription
            consumer = await client.subscribe(
                case.topic, case.subscription, consumer_type=pulsar.ConsumerType.Shared
            )
            await consumer.close()


@pytest.mark.parametrize("case", MATRIX, ids=str)
async def test_each_role_may_do_only_what_it_was_granted(
    secure_pulsar: SecureBroker, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    if case.allowed:
        await attempt(secure_pulsar, case)
        return
    caplog.set_level(logging.WARNING, logger="pulsar.client.tests.secure")
    with pytest.raises(pulsar.asyncio.PulsarException) as refused:
        await attempt(secure_pulsar, case)
    assert refused.value.error() == pulsar.Result.AuthorizationError
    # The broker's reason: in the exception (a refused lookup) or, for a refused
    # subscription, only in the client's log of the broker's error response.
    said = str(refused.value) + caplog.text
    assert re.search(BROKER_REFUSAL, said), said


@pytest.mark.parametrize("credential", ["missing", "expired", "forged"])
async def test_a_missing_expired_or_forged_token_is_refused_by_the_broker(
    secure_pulsar: SecureBroker, credential: str
) -> None:
    token = {
        "missing": None,
        "expired": secure_pulsar.token(PRODUCER, expires_in=-60),
        "forged": secure_pulsar.forged_token(PRODUCER),
    }[credential]
    security = PulsarSecurity(token=token, tls_trust_certs_file_path=secure_pulsar.ca)
    # The broker's own answer to the protocol's CONNECT...
    answer = await refusal(secure_pulsar.url, security)
    assert answer == "AuthenticationError: Failed to authenticate"
    # ...which pulsar-client, retrying, reports as a timeout: nothing gets through.
    async with secure_pulsar.client(token, timeout=3) as client:
        with pytest.raises(pulsar.asyncio.PulsarException) as refused:
            await client.create_producer(COMMANDS_V2)
    assert refused.value.error() == pulsar.Result.Timeout


async def test_a_valid_token_is_accepted_by_the_same_handshake(
    secure_pulsar: SecureBroker,
) -> None:
    security = PulsarSecurity(
        token=secure_pulsar.token(PRODUCER), tls_trust_certs_file_path=secure_pulsar.ca
    )
    assert await refusal(secure_pulsar.url, security) is None


async def test_a_client_that_does_not_trust_the_ca_cannot_connect(
    secure_pulsar: SecureBroker,
) -> None:
    token = secure_pulsar.token(SERVICE)
    untrusting = PulsarSecurity(token=token)  # the system's CAs, not the broker's
    reason = await refusal(secure_pulsar.url, untrusting)
    assert reason == (
        "TLS: the broker's certificate was not accepted (unable to get local issuer certificate)"
    )
    async with secure_pulsar.client(token, trust=False, timeout=3) as client:
        with pytest.raises(pulsar.asyncio.PulsarException):
            await client.create_producer(COMMANDS_V2)


async def test_nothing_listens_in_plain_text(secure_pulsar: SecureBroker) -> None:
    plain = secure_pulsar.url.replace("pulsar+ssl://", "pulsar://")
    client = pulsar.asyncio.Client(
        plain,
        operation_timeout_seconds=3,
        authentication=pulsar.AuthenticationToken(secure_pulsar.token(SERVICE)),
        logger=logging.getLogger("pulsar.client.tests.secure"),
    )
    try:
        with pytest.raises(pulsar.asyncio.PulsarException):
            await client.create_producer(f"{COMMANDS_V2}-{uuid.uuid4().hex[:6]}")
    finally:
        await client.close()


async def test_the_adapter_connects_and_pings_as_a_role_without_rights_on_the_ping_topic(
    secure_pulsar: SecureBroker,
) -> None:
    broker = PulsarBroker(
        secure_pulsar.url,
        security=PulsarSecurity(
            token=secure_pulsar.token(PRODUCER), tls_trust_certs_file_path=secure_pulsar.ca
        ),
        logger=logging.getLogger("alpes.tests"),
    )
    await broker.connect()
    try:
        assert await broker.ping(5) is True
        await broker.publish(b"{}", COMMANDS_V2, key="c-ping")
        with pytest.raises(PublishDeniedError) as denied:
            await broker.publish(b"{}", EVENTS_V2, key="c-ping")
    finally:
        await broker.stop()
    assert denied.value.role == PRODUCER
    assert denied.value.topic == EVENTS_V2
