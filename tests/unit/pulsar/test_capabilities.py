import pytest
from faststream.exceptions import FeatureNotSupportedException

from adapters.pulsar import APACHE_PULSAR, PULSAR_LITE, DeadLetterPolicy, SubscriptionType


def test_apache_pulsar_allows_every_subscription_type() -> None:
    for subscription_type in SubscriptionType:
        APACHE_PULSAR.require_subscription_type(subscription_type)


def test_pulsar_lite_refusal_names_the_type_and_the_alternative() -> None:
    with pytest.raises(FeatureNotSupportedException) as error:
        PULSAR_LITE.require_subscription_type(SubscriptionType.KEY_SHARED)
    assert "Key_Shared" in str(error.value)
    assert "max_workers" in str(error.value)


def test_pulsar_lite_refuses_delayed_delivery_and_multi_topic_consumers() -> None:
    with pytest.raises(FeatureNotSupportedException, match="delayed delivery"):
        PULSAR_LITE.require_delayed_delivery()
    with pytest.raises(FeatureNotSupportedException, match="its own subscriber"):
        PULSAR_LITE.require_multi_topic_consumers(("a", "b"))
    PULSAR_LITE.require_multi_topic_consumers(("a",))


def test_the_dead_letter_topic_follows_pulsars_convention_unless_named() -> None:
    assert DeadLetterPolicy().topic_for("persistent://t/n/x", "sub") == "persistent://t/n/x-sub-DLQ"
    assert DeadLetterPolicy(topic="persistent://t/n/dlq").topic_for("x", "s") == (
        "persistent://t/n/dlq"
    )
    with pytest.raises(ValueError, match="max_redeliveries must be >= 0, got -1"):
        DeadLetterPolicy(max_redeliveries=-1)
