"""The projector: events of the v2 stream through a broker into the read store, and the
rebuild from the stream. In memory (TestPulsarBroker) and against real brokers, on SQLite
and PostgreSQL.

The v2 event stream is shared by every test of the session: each test uses its own
campaign ids and subscription, and looks only at its own campaigns. Tests that need a
stream of their own (rebuilds of an exact history) pass a unique topic.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.database.engine import create_engine
from adapters.database.read_store import apply_event, get_campaign
from adapters.database.schema import projected_events
from adapters.database.view_store import SqlViewStore
from adapters.pulsar import (
    APACHE_PULSAR,
    PULSAR_LITE,
    BrokerCapabilities,
    PulsarBroker,
    PulsarSubscriber,
    SubscriptionType,
    TestPulsarBroker,
)
from adapters.pulsar.delivery import Delivery
from adapters.pulsar.testing import FakeMessage, RecordingSettler
from application.projection import ApplyResult, CampaignView, OutOfOrder
from application.projector import IncompleteHistory
from contracts.topics import EVENT_TOPICS, EVENTS_V2
from tests.support.brokers import RealBroker
from tests.support.events import Event, creada, lifecycle, rechazado
from tests.support.raw import subscription_from_now
from tests.support.waiting import eventually
from workers.projector import MAX_REDELIVERIES, SUBSCRIPTION, rebuild, register


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


def subscriber_of(broker: PulsarBroker) -> PulsarSubscriber:
    """The projector's one subscriber: on the v2 event stream."""
    [sub] = [s for s in broker.subscribers if isinstance(s, PulsarSubscriber)]
    assert sub.prefixed_topics == (EVENTS_V2,)
    return sub


def settler_of(broker: PulsarBroker) -> RecordingSettler:
    settler = subscriber_of(broker).settler
    assert isinstance(settler, RecordingSettler)
    return settler


async def recorded(engine: AsyncEngine, event_ids: set[str]) -> set[str]:
    query = select(projected_events.c.event_id).where(projected_events.c.event_id.in_(event_ids))
    async with engine.connect() as c:
        return set((await c.execute(query)).scalars())


async def publish(
    broker: PulsarBroker, event: Event, topic: str = EVENTS_V2, **headers: str
) -> None:
    """As the outbox relay does: the stored bytes on the v2 stream, keyed by campaign,
    metadata (event_type among it) in properties; ``headers`` override properties."""
    properties = event.properties() | headers
    await broker.publish(
        event.payload,
        topic,
        key=event.key,
        headers=properties,
        correlation_id=properties["correlation_id"],
    )


async def converged(
    engine: AsyncEngine,
    campana_id: str,
    done: Callable[[CampaignView], bool],
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
    register(broker, SqlViewStore(engine))
    events = lifecycle(campana_id)

    async with TestPulsarBroker(broker) as br:
        for event in events:
            await publish(br, event)
        await publish(br, events[3])  # a redelivery of participante-agregado

        view = await get_campaign(engine, campana_id)
        assert view is not None
        assert_final(view)
        assert await recorded(engine, {e.id for e in events}) == {e.id for e in events}
        settler = settler_of(broker)
        assert len(settler.acked) == len(events) + 1
        assert (settler.nacked, settler.dead_lettered) == ([], [])


async def test_an_out_of_order_event_is_nacked_and_not_recorded_then_applies_on_redelivery(
    engine: AsyncEngine, campana_id: str
) -> None:
    broker = PulsarBroker()
    register(broker, SqlViewStore(engine))
    created, activated, *_ = lifecycle(campana_id)

    async with TestPulsarBroker(broker) as br:
        # A redelivery can still bring an event before its predecessor on the v2 stream.
        await publish(br, activated)
        settler = settler_of(broker)
        assert len(settler.nacked) == 1
        assert (settler.acked, settler.dead_lettered) == ([], [])
        assert await recorded(engine, {activated.id}) == set()

        await publish(br, created)
        await publish(br, activated)  # the redelivery
        assert len(settler.acked) == 2

    view = await get_campaign(engine, campana_id)
    assert view is not None
    assert (view.estado, view.version) == ("active", 2)


async def test_an_event_still_waiting_when_its_redeliveries_run_out_is_dead_lettered_with_why(
    engine: AsyncEngine, campana_id: str
) -> None:
    broker = PulsarBroker()
    register(broker, SqlViewStore(engine))
    activated = lifecycle(campana_id)[1]
    sub = subscriber_of(broker)
    settler = RecordingSettler(SUBSCRIPTION, MAX_REDELIVERIES)

    async with TestPulsarBroker(broker):
        sub.settler = settler
        last_try = FakeMessage(
            activated.payload,
            activated.properties(),
            EVENTS_V2,
            key=campana_id,
            redeliveries=MAX_REDELIVERIES,
        )
        await sub.process_message(Delivery(last_try, settler))

    [(_, reason)] = settler.dead_lettered
    assert reason["DLQ_REASON"] == "max-redeliveries"
    assert reason["DLQ_EXCEPTION_TYPE"] == OutOfOrder.__name__
    assert "waiting for version 1" in reason["DLQ_EXCEPTION_MESSAGE"]
    assert settler.nacked == []
    assert await recorded(engine, {activated.id}) == set()


@pytest.mark.parametrize(
    ("dropped", "changed", "why"),
    [
        ("event_id", {}, "has no event_id property"),
        # The v2 stream carries every event type: only the property says which it is.
        ("event_type", {}, "has no event_type property"),
        (None, {"event_type": ""}, "has no event_type property"),
        (None, {"event_type": "campana-borrada"}, "Unknown event type 'campana-borrada'"),
        (None, {"aggregate_version": "uno"}, "expected an int"),
    ],
    ids=["no-event-id", "no-event-type", "empty-event-type", "unknown-event-type", "bad-version"],
)
async def test_an_event_whose_properties_break_the_contract_is_dead_lettered_at_once(
    engine: AsyncEngine,
    campana_id: str,
    caplog: pytest.LogCaptureFixture,
    dropped: str | None,
    changed: dict[str, str],
    why: str,
) -> None:
    broker = PulsarBroker()
    register(broker, SqlViewStore(engine))
    created = creada(campana_id)
    headers = {k: v for k, v in created.properties().items() if k != dropped} | changed

    async with TestPulsarBroker(broker) as br:
        await br.publish(created.payload, EVENTS_V2, key=campana_id, headers=headers)
        settler = settler_of(broker)
        [(_, reason)] = settler.dead_lettered
        assert reason["DLQ_REASON"] == "invalid-event"
        # The dead-lettered copy says why, for `alpes dlq show`.
        assert reason["DLQ_EXCEPTION_TYPE"] == "InvalidEvent"
        assert why in reason["DLQ_EXCEPTION_MESSAGE"]
        assert (settler.acked, settler.nacked) == ([], [])
    assert await get_campaign(engine, campana_id) is None
    assert any(why in r.getMessage() for r in caplog.records if r.name == "alpes.projector")


async def test_a_v1_body_on_the_v2_stream_is_dead_lettered_as_invalid(
    engine: AsyncEngine, campana_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    """v1 bodies carry amounts as JSON numbers; v2 ones as decimal strings."""
    broker = PulsarBroker()
    register(broker, SqlViewStore(engine))
    created = creada(campana_id)
    v1_body = created.body | {"presupuesto": {"monto": 15000.1, "divisa": "USD"}}

    async with TestPulsarBroker(broker) as br:
        await br.publish(
            json.dumps(v1_body).encode(),
            EVENTS_V2,
            key=campana_id,
            headers=created.properties(),
        )
        [(_, reason)] = settler_of(broker).dead_lettered
        assert reason["DLQ_REASON"] == "invalid-event"
    assert await get_campaign(engine, campana_id) is None
    [warning] = [r.getMessage() for r in caplog.records if r.name == "alpes.projector"]
    assert "presupuesto.monto" in warning and "valid string" in warning


async def test_a_body_that_is_not_json_is_dead_lettered_as_undecodable(engine: AsyncEngine) -> None:
    broker = PulsarBroker()
    register(broker, SqlViewStore(engine))

    async with TestPulsarBroker(broker) as br:
        with pytest.raises(ValueError):
            await br.publish(
                b"{not json",
                EVENTS_V2,
                key="c",
                headers=creada("c").properties()
                | {"event_type": "campana-pausada", "aggregate_version": "3"},
            )
        [(_, reason)] = settler_of(broker).dead_lettered
        assert reason["DLQ_REASON"] == "undecodable"


@pytest.mark.parametrize(
    ("capabilities", "subscription_type"),
    [(APACHE_PULSAR, SubscriptionType.KEY_SHARED), (PULSAR_LITE, SubscriptionType.SHARED)],
    ids=["apache-pulsar", "pulsar-lite"],
)
def test_the_projector_subscribes_to_the_v2_event_stream_only_key_shared_where_the_broker_has_it(
    capabilities: BrokerCapabilities, subscription_type: SubscriptionType
) -> None:
    broker = PulsarBroker(capabilities=capabilities)
    register(broker, store=None)  # type: ignore[arg-type]  # only declared here

    [sub] = [s for s in broker.subscribers if isinstance(s, PulsarSubscriber)]
    assert sub.prefixed_topics == (EVENTS_V2,)
    assert not set(sub.prefixed_topics) & set(EVENT_TOPICS.values())  # no v1 topic
    assert sub.subscription == SUBSCRIPTION == "alpes-projector"
    assert sub.subscription_type == subscription_type
    assert len(sub.calls) == 1


# Real brokers.


def make_broker(real: RealBroker) -> PulsarBroker:
    return PulsarBroker(real.url, capabilities=real.capabilities, graceful_timeout=10)


async def test_the_projector_converges_on_a_real_broker_despite_order_and_duplicates(
    real: RealBroker, engine: AsyncEngine, campana_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alpes.projector")
    broker = make_broker(real)
    register(
        broker,
        SqlViewStore(engine),
        subscription=await subscription_from_now(real.url, EVENTS_V2, "projector"),
    )
    created, activated, *rest = lifecycle(campana_id)

    def waited(event: Event) -> bool:
        return any(
            event.id in r.getMessage() and "waiting for version" in r.getMessage()
            for r in caplog.records
        )

    await broker.start()
    try:
        # Before its predecessor (as after a redelivery): refused (and nacked) until the
        # predecessor is in.
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


async def test_a_live_projector_applies_a_campaign_published_in_order_without_waiting(
    real: RealBroker, engine: AsyncEngine, campana_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On the v2 stream a campaign's events arrive in aggregate_version order: published
    in order, none is ever refused as out of order, though the projector runs many
    handlers at once."""
    caplog.set_level(logging.INFO, logger="alpes.projector")
    broker = make_broker(real)
    register(
        broker,
        SqlViewStore(engine),
        subscription=await subscription_from_now(real.url, EVENTS_V2, "projector"),
    )
    events = lifecycle(campana_id)

    await broker.start()
    try:
        for event in events:
            await publish(broker, event)
        view = await converged(engine, campana_id, lambda v: v.version == 8)
    finally:
        await broker.stop()

    assert_final(view)
    assert not [r for r in caplog.records if campana_id in r.getMessage()]


async def test_a_rebuild_replays_the_stream_into_an_emptied_store(
    real: RealBroker, engine: AsyncEngine, campana_id: str, topic: str
) -> None:
    # A stream of its own: the shared one holds other tests' partial histories, which a
    # rebuild rightly refuses.
    events = lifecycle(campana_id)
    publisher = make_broker(real)
    await publisher.start()
    try:
        # Newest first, one event twice, and a rejection: the rebuild sorts and dedupes.
        for event in [*reversed(events), events[4]]:
            await publish(publisher, event, topic)
        await publish(publisher, rechazado(f"cmd-{campana_id}", campana_id), topic)
    finally:
        await publisher.stop()
    # Something stale in the store that is not on the stream: the rebuild drops it.
    stale = creada(f"{campana_id}-stale")
    await apply_event(engine, stale.type, stale.id, stale.version, stale.body)

    applied = await rebuild(
        real.url, SqlViewStore(engine), capabilities=real.capabilities, topic=topic
    )

    assert applied == len(events)
    view = await get_campaign(engine, campana_id)
    assert view is not None
    assert_final(view)
    assert await get_campaign(engine, f"{campana_id}-stale") is None
    # What the rebuild recorded is deduplicated when the live projector delivers it again.
    again = await apply_event(engine, events[4].type, events[4].id, 5, events[4].body)
    assert again == ApplyResult.DUPLICATE


async def test_a_rebuild_of_an_empty_stream_leaves_an_empty_store(
    real: RealBroker, engine: AsyncEngine, topic: str
) -> None:
    stale = creada(f"c-{uuid.uuid4().hex[:12]}")
    await apply_event(engine, stale.type, stale.id, stale.version, stale.body)

    applied = await rebuild(
        real.url, SqlViewStore(engine), capabilities=real.capabilities, topic=topic
    )

    assert applied == 0
    assert await get_campaign(engine, stale.body["campana_id"]) is None


@pytest.mark.parametrize("lost", [{3}, {1, 2}], ids=["a gap", "the beginning"])
async def test_a_rebuild_from_an_incomplete_history_is_refused_and_changes_nothing(
    real: RealBroker, engine: AsyncEngine, topic: str, lost: set[int]
) -> None:
    """A stream that lost events (retention cut its beginning, or a gap) would give a
    partial view: the rebuild refuses, naming the campaign, and leaves the view as it was."""
    whole, gapped = f"c-{uuid.uuid4().hex[:12]}", f"c-{uuid.uuid4().hex[:12]}"
    before = creada(f"c-{uuid.uuid4().hex[:12]}")
    await apply_event(engine, before.type, before.id, before.version, before.body)
    history = lifecycle(whole) + [e for e in lifecycle(gapped) if e.version not in lost]
    publisher = make_broker(real)
    await publisher.start()
    try:
        for event in history:
            await publish(publisher, event, topic)
    finally:
        await publisher.stop()

    with pytest.raises(IncompleteHistory, match=gapped) as refused:
        await rebuild(real.url, SqlViewStore(engine), capabilities=real.capabilities, topic=topic)

    assert list(refused.value.incomplete) == [gapped]
    assert whole not in str(refused.value)
    assert await get_campaign(engine, whole) is None  # nothing was replayed
    assert await get_campaign(engine, before.body["campana_id"]) is not None  # nor emptied


@pytest.mark.apache_pulsar
async def test_a_rebuild_reads_every_partition_of_a_partitioned_stream(
    apache_pulsar: RealBroker, engine: AsyncEngine, topic: str
) -> None:
    """On Apache Pulsar the v2 stream may be partitioned (by key: a campaign stays on one
    partition): the rebuild reads them all."""
    name = topic.rsplit("/", 1)[-1]
    apache_pulsar.admin("PUT", f"/admin/v2/persistent/public/default/{name}/partitions", 3)
    campaigns = [f"c-{uuid.uuid4().hex[:12]}" for _ in range(6)]
    publisher = make_broker(apache_pulsar)
    await publisher.start()
    try:
        # Each campaign's first event straight onto a chosen partition, so that every
        # partition holds some history; the rest by key, as the relay publishes.
        for i, campana_id in enumerate(campaigns):
            created, *rest = lifecycle(campana_id)
            await publish(publisher, created, f"{topic}-partition-{i % 3}")
            for event in rest:
                await publish(publisher, event, topic)
    finally:
        await publisher.stop()

    applied = await rebuild(
        apache_pulsar.url,
        SqlViewStore(engine),
        capabilities=apache_pulsar.capabilities,
        topic=topic,
    )

    assert applied == 8 * len(campaigns)
    for campana_id in campaigns:
        view = await get_campaign(engine, campana_id)
        assert view is not None, campana_id
        assert_final(view)


def test_a_waiting_event_gets_time_for_its_predecessor_before_it_is_dead_lettered() -> None:
    broker = PulsarBroker()
    register(broker, store=None)  # type: ignore[arg-type]  # only declared here
    sub: Any = broker.subscribers[0]

    assert sub._config.dead_letter.max_redeliveries == MAX_REDELIVERIES >= 20
    assert sub._config.negative_ack_delay * MAX_REDELIVERIES >= 10
    assert sub._config.max_workers > 1
