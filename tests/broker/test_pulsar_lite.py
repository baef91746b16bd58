import pytest
from faststream.exceptions import FeatureNotSupportedException

from adapters.pulsar import SubscriptionType
from tests.support.brokers import RealBroker

from .cases import RealBrokerCases, make_broker, running
from .reader_cases import ReaderCases

pytestmark = pytest.mark.pulsar_lite


class TestPulsarLite(RealBrokerCases, ReaderCases):
    @pytest.fixture
    def real(self, pulsar_lite: RealBroker) -> RealBroker:
        return pulsar_lite


@pytest.mark.parametrize(
    "subscription_type",
    [SubscriptionType.KEY_SHARED, SubscriptionType.FAILOVER, SubscriptionType.EXCLUSIVE],
)
async def test_subscription_types_broken_on_pulsar_lite_are_refused_at_start(
    pulsar_lite: RealBroker, topic: str, subscription_type: SubscriptionType
) -> None:
    broker = make_broker(pulsar_lite)

    @broker.subscriber(topic, subscription="s", subscription_type=subscription_type)
    async def handle(body: str) -> None: ...

    with pytest.raises(FeatureNotSupportedException, match=subscription_type.value):
        await broker.start()
    await broker.stop()


async def test_delayed_delivery_is_refused_on_pulsar_lite(
    pulsar_lite: RealBroker, topic: str
) -> None:
    from datetime import timedelta

    broker = make_broker(pulsar_lite)
    async with running(broker):
        with pytest.raises(FeatureNotSupportedException, match="delayed delivery"):
            await broker.publish("later", topic, deliver_after=timedelta(seconds=2))


async def test_multi_topic_subscribers_are_refused_on_pulsar_lite(
    pulsar_lite: RealBroker, topic: str
) -> None:
    broker = make_broker(pulsar_lite)

    @broker.subscriber([topic, f"{topic}-2"], subscription="s")
    async def handle(body: str) -> None: ...

    with pytest.raises(FeatureNotSupportedException, match="each of"):
        await broker.start()
    await broker.stop()
