"""The permission plan `alpes topics grant` applies covers every topic of the contract and
every dead-letter topic the workers write, each role getting only its part."""

import pytest

from contracts.topics import COMMAND_TOPICS, COMMANDS_V2, EVENT_TOPICS, EVENTS_V2
from workers.dead_letters.topics import ADMIN_SUBSCRIPTION, DEAD_LETTER_TOPICS
from workers.permissions import Roles, subscription_grants, topic_grants

pytestmark = pytest.mark.security

ROLES = Roles()
COMMANDS = {COMMANDS_V2, *COMMAND_TOPICS.values()}
EVENTS = {EVENTS_V2, *EVENT_TOPICS.values()}


def granted(role: str) -> dict[str, set[str]]:
    plan: dict[str, set[str]] = {}
    for grant in topic_grants(ROLES):
        if grant.role == role:
            plan.setdefault(grant.topic, set()).update(grant.actions)
    return plan


def test_the_command_producer_may_only_produce_commands() -> None:
    assert granted(ROLES.command_producer) == {t: {"produce"} for t in COMMANDS}


def test_the_event_consumer_may_only_consume_events() -> None:
    assert granted(ROLES.event_consumer) == {t: {"consume"} for t in EVENTS}


def test_the_service_consumes_commands_and_produces_and_consumes_events_and_dead_letters() -> None:
    service = granted(ROLES.service)
    assert {t: a for t, a in service.items() if t in COMMANDS} == {t: {"consume"} for t in COMMANDS}
    # It publishes both versions' events and reads the v2 stream only.
    assert service[EVENTS_V2] == {"produce", "consume"}
    assert all(service[t] == {"produce"} for t in EVENTS - {EVENTS_V2})
    dead_letters = set(service) - COMMANDS - EVENTS
    assert all(t.endswith("-DLQ") and service[t] == {"produce", "consume"} for t in dead_letters)
    # exactly the dead-letter topics the workers can write
    assert {t.topic for t in DEAD_LETTER_TOPICS} == dead_letters
    assert f"{COMMANDS_V2}-alpes-campanas-DLQ" in dead_letters
    assert f"{EVENTS_V2}-alpes-projector-DLQ" in dead_letters


def test_each_subscription_is_reserved_to_its_role() -> None:
    subscriptions = subscription_grants(ROLES)
    assert subscriptions.pop(ROLES.event_consumer_subscription) == (ROLES.event_consumer,)
    assert ADMIN_SUBSCRIPTION in subscriptions
    assert set(subscriptions.values()) == {(ROLES.service,)}


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (dict(command_producer="service"), "the three roles must be distinct"),
        (dict(event_consumer=""), "the three roles must be distinct"),
        (dict(event_consumer_subscription="alpes-projector"), "is the service's own"),
    ],
)
def test_roles_that_would_overlap_are_refused(roles: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Roles(**roles)
