"""The projector: events through a broker into the read store, and the rebuild from the
topics. In memory (TestPulsarBroker) and against real brokers, on SQLite and PostgreSQL.

Event topics are shared by every test of the session: each test uses its own campaign
ids and subscription, and looks only at its own campaigns.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.read_store import (
    ApplyResult,
    CampaignView,
    OutOfOrder,
    apply_event,
    get_campaign,
)
from adapters.database.schema import projected_events
from adapters.pulsar import PulsarBroker, PulsarSubscriber, TestPulsarBroker
from adapters.pulsar.delivery import Delivery
from adapters.pulsar.testing import FakeMessage, RecordingSettler
from contracts.topics import EVENT_TOPICS
from tests.support.brokers import RealBroker
from tests.support.waiting import eventually
from workers.projector import MAX_REDELIVERIES, SUBSCRIPTION, rebuild, register

from .test_read_store import Event, creada, lifecycle, rechazado


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def campana_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


@pytest.fixture(
    params=[
        pytest.param("pulsar_lite", marks=pytest.mark.pulsar_lite),
        pytest.param("apache_pulsar", marks=pytest.mark.apache_pulsar),
    ]
)
def real(request: pytest.FixtureRequest) -> RealBroker:
    broker: RealBroker = request.getfixturevalue(request.param)
    return broker


def settler_of(broker: PulsarBroker, event_type: str) -> RecordingSettler:
    [sub] = [
        s for s in broker.subscribers
        if isinstance(s, PulsarSubscriber) and EVENT_TOPICS[event_type] in s.prefixed_topics
    ]
    assert isinstance(sub.settler, RecordingSettler)
    return sub.settler


async def recorded(engine: AsyncEngine, event_ids: set[str]) -> set[str]:
    query = select(projected_events.c.event_id).where(projected_events.c.event_id.in_(event_ids))
    async with engine.connect() as c:
        return set((await c.execute(query)).scalars())


async def publish(broker: PulsarBroker, event: Event) -> None:
    """As the outbox relay does: the stored bytes, keyed by campaign, metadata in properties."""
    await broker.publish(
        event.payload,
        EVENT_TOPICS[event.type],
        key=str(event.body.get("campana_id") or ""),
        headers=event.properties(),
        correlation_id=event.properties()["correlation_id"],
    )


async def converged(
    engine: AsyncEngine, campana_id: str, done: Callable[[CampaignView], bool],
    timeout: float = 60.0,
) -> CampaignView:
    """Poll the read store until the campaign's view satisfies ``done``."""
    view = None
    try:
        async with asyncio.timeout(timeout):
            while view is None or not done(view):
                await asyncio.sleep(0.05)
                view = await get_campaign(engine, campana_id)
    except TimeoutError:
        pytest.fail(f"campaign {campana_id} did not converge in {timeout}s; last view: {view}")
    return view


def assert_final(view: CampaignView) -> None:
    assert (view.estado, view.version) == ("finished", 8)
    assert str(view.monto) == "18000.05"
    assert [x["id"] for x in view.participantes] == ["p-2", "p-3"]


# In memory: TestPulsarBroker, a real database.


async def test_events_published_through_the_broker_fill_the_view(
    engine: AsyncEngine, campana_id: str
) -> None:
    broker = PulsarBroker()
    register(broker, engine)
    events = lifecycle(campana_id)

    async with TestPulsarBroker(broker) as br:
        for event in events:
            await publish(br, event)
        await publish(br, events[3])  # a redelivery of participante-agregado

        view = await get_campaign(engine, campana_id)
        assert view is not None
        assert_final(view)
        assert await recorded(engine, {e.id for e in events}) == {e.id for e in events}
        assert len(settler_of(broker, "participante-agregado").acked) == 2
        assert settler_of(broker, "campana-creada").nacked == []


async def test_an_out_of_order_event_is_nacked_and_not_recorded_then_applies_on_redelivery(
    engine: AsyncEngine, campana_id: str
) -> None:
    broker = PulsarBroker()
    register(broker, engine)
    created, activated, *_ = lifecycle(campana_id)

    async with TestPulsarBroker(broker) as br:
        await publish(br, activated)
        assert len(settler_of(broker, "campana-activada").nacked) == 1
        assert settler_of(broker, "campana-activada").dead_lettered == []
        assert await recorded(engine, {activated.id}) == set()

        await publish(br, created)
        await publish(br, activated)  # the redelivery

    view = await get_campaign(engine, campana_id)
    assert view is not None
    assert (view.estado, view.version) == ("active", 2)


async def test_an_event_still_waiting_when_its_redeliveries_run_out_is_dead_lettered_with_why(
    engine: AsyncEngine, campana_id: str
) -> None:
    broker = PulsarBroker()
    register(broker, engine)
    activated = lifecycle(campana_id)[1]
    topic = EVENT_TOPICS[activated.type]
    [sub] = [s for s in broker.subscribers if topic in getattr(s, "prefixed_topics", ())]
    settler = RecordingSettler(SUBSCRIPTION, MAX_REDELIVERIES)

    async with TestPulsarBroker(broker):
        sub.settler = settler  # type: ignore[attr-defined]
        last_try = FakeMessage(
            activated.payload, activated.properties(), topic, key=campana_id,
            redeliveries=MAX_REDELIVERIES,
        )
        await sub.process_message(Delivery(last_try, settler))

    [(_, reason)] = settler.dead_lettered
    assert reason["DLQ_REASON"] == "max-redeliveries"
    assert reason["DLQ_EXCEPTION_TYPE"] == OutOfOrder.__name__
    assert "waiting for version 1" in reason["DLQ_EXCEPTION_MESSAGE"]
    assert settler.nacked == []
    assert await recorded(engine, {activated.id}) == set()


async def test_an_event_without_an_event_id_is_dead_lettered_at_once(
    engine: AsyncEngine, campana_id: str
) -> None:
    broker = PulsarBroker()
    register(broker, engine)
    created = creada(campana_id)
    headers = {k: v for k, v in created.properties().items() if k != "event_id"}

    async with TestPulsarBroker(broker) as br:
        await br.publish(created.payload, EVENT_TOPICS["campana-creada"], headers=headers)
        settler = settler_of(broker, "campana-creada")
        [(_, reason)] = settler.dead_lettered
        assert reason["DLQ_REASON"] == "invalid-event"
        assert settler.nacked == []
    assert await get_campaign(engine, campana_id) is None


async def test_a_body_that_is_not_json_is_dead_lettered_as_undecodable(engine: AsyncEngine) -> None:
    broker = PulsarBroker()
    register(broker, engine)

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(ValueError):
            await br.publish(
                b"{not json", EVENT_TOPICS["campana-pausada"], headers=creada("c").properties()
                | {"event_type": "campana-pausada", "aggregate_version": "3"},
            )
        [(_, reason)] = settler_of(broker, "campana-pausada").dead_lettered
        assert reason["DLQ_REASON"] == "undecodable"


def test_every_event_topic_has_its_own_projector_subscriber() -> None:
    broker = PulsarBroker()
    register(broker, engine=None)  # type: ignore[arg-type]  # only declared here

    subs = [s for s in broker.subscribers if isinstance(s, PulsarSubscriber)]
    assert sorted(t for s in subs for t in s.prefixed_topics) == sorted(EVENT_TOPICS.values())
    assert {s.subscription for s in subs} == {SUBSCRIPTION}
    assert all(len(s.prefixed_topics) == 1 for s in subs)
    names = {call.name for s in subs for call in s.calls}
    assert names == {f"project_{n.replace('-', '_')}" for n in EVENT_TOPICS}


# Real brokers.


def make_broker(real: RealBroker) -> PulsarBroker:
    return PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10)


async def test_the_projector_converges_on_a_real_broker_despite_order_and_duplicates(
    real: RealBroker, engine: AsyncEngine, campana_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alpes.projector")
    broker = make_broker(real)
    register(broker, engine, subscription=f"projector-{uuid.uuid4().hex[:8]}")
    created, activated, *rest = lifecycle(campana_id)

    def waited(event: Event) -> bool:
        return any(
            event.id in r.getMessage() and "waiting for version" in r.getMessage()
            for r in caplog.records
        )

    await broker.start()
    try:
        # Before its predecessor: refused (and nacked) until the predecessor is in.
        await publish(broker, activated)
        await eventually(lambda: waited(activated))
        await publish(broker, created)
        await publish(broker, created)  # a duplicate, as after a relay crash
        for event in rest:
            await publish(broker, event)
        await publish(broker, rechazado(f"cmd-{campana_id}", campana_id))

        view = await converged(engine, campana_id, lambda v: v.version == 8)
    finally:
        await broker.stop()

    assert_final(view)
    ids = {e.id for e in [created, activated, *rest]}
    assert await recorded(engine, ids) == ids


async def test_a_rebuild_replays_the_topics_into_an_emptied_store(
    real: RealBroker, engine: AsyncEngine, campana_id: str
) -> None:
    events = lifecycle(campana_id)
    publisher = make_broker(real)
    await publisher.start()
    try:
        # Newest first, one event twice, and a rejection: the rebuild sorts and dedupes.
        for event in [*reversed(events), events[4]]:
            await publish(publisher, event)
        await publish(publisher, rechazado(f"cmd-{campana_id}", campana_id))
    finally:
        await publisher.stop()
    # Something stale in the store that is on no topic: the rebuild drops it.
    stale = creada(f"{campana_id}-stale")
    await apply_event(engine, stale.type, stale.id, stale.version, stale.body)

    applied = await rebuild(real.url, engine, capabilities=real.capabilities)

    assert applied >= len(events)
    view = await get_campaign(engine, campana_id)
    assert view is not None
    assert_final(view)
    assert await get_campaign(engine, f"{campana_id}-stale") is None
    # What the rebuild recorded is deduplicated when the live projector delivers it again.
    again = await apply_event(engine, events[4].type, events[4].id, 5, events[4].body)
    assert again == ApplyResult.DUPLICATE


async def test_a_rebuild_of_empty_topics_leaves_an_empty_store(
    real: RealBroker, engine: AsyncEngine, topic: str
) -> None:
    stale = creada(f"c-{uuid.uuid4().hex[:12]}")
    await apply_event(engine, stale.type, stale.id, stale.version, stale.body)
    topics = {"campana-creada": topic, "campana-activada": f"{topic}-2"}

    applied = await rebuild(real.url, engine, capabilities=real.capabilities, topics=topics)

    assert applied == 0
    assert await get_campaign(engine, stale.body["campana_id"]) is None


async def test_a_rebuild_stops_a_campaign_at_a_gap_and_keeps_the_others(
    real: RealBroker, engine: AsyncEngine, topic: str
) -> None:
    whole, gapped = f"c-{uuid.uuid4().hex[:12]}", f"c-{uuid.uuid4().hex[:12]}"
    topics = {name: f"{topic}-{name}" for name in EVENT_TOPICS}
    # The gapped campaign lost its version 3 (e.g. to retention).
    history = lifecycle(whole) + [e for e in lifecycle(gapped) if e.version != 3]
    publisher = make_broker(real)
    await publisher.start()
    try:
        for event in history:
            await publisher.publish(
                event.payload, topics[event.type], key=event.body["campana_id"],
                headers=event.properties(),
            )
    finally:
        await publisher.stop()

    applied = await rebuild(real.url, engine, capabilities=real.capabilities, topics=topics)

    assert applied == 8 + 2
    whole_view, gapped_view = await get_campaign(engine, whole), await get_campaign(engine, gapped)
    assert whole_view is not None and gapped_view is not None
    assert_final(whole_view)
    assert (gapped_view.estado, gapped_view.version) == ("active", 2)


def test_a_waiting_event_gets_time_for_its_predecessor_before_it_is_dead_lettered() -> None:
    broker = PulsarBroker()
    register(broker, engine=None)  # type: ignore[arg-type]  # only declared here
    sub: Any = broker.subscribers[0]

    assert sub._config.dead_letter.max_redeliveries == MAX_REDELIVERIES >= 20
    assert sub._config.negative_ack_delay * MAX_REDELIVERIES >= 10
    assert sub._config.max_workers > 1
