"""Fails fast when a FastStream upgrade changes the internals the Pulsar broker stands on.

``faststream._internal`` changes within patch releases, so the pin in pyproject.toml is
exact. Before moving it, run this file against the new release: every failure names
an internal the adapter uses.
"""

import importlib
import inspect
from importlib.metadata import version

import pytest
from faststream._internal.endpoint.subscriber import SubscriberUsecase
from faststream._internal.testing.broker import TestBroker

PINNED = "0.7.8"

# (module, name) of every internal the adapter imports.
USED_INTERNALS = [
    ("faststream._internal.broker", "BrokerUsecase"),
    ("faststream._internal.broker.registrator", "Registrator"),
    ("faststream._internal.configs", "BrokerConfig"),
    ("faststream._internal.configs", "SubscriberUsecaseConfig"),
    ("faststream._internal.configs", "SubscriberSpecificationConfig"),
    ("faststream._internal.configs", "PublisherUsecaseConfig"),
    ("faststream._internal.configs", "PublisherSpecificationConfig"),
    ("faststream._internal.constants", "EMPTY"),
    ("faststream._internal.context.repository", "ContextRepo"),
    ("faststream._internal.di", "FastDependsConfig"),
    ("faststream._internal.endpoint.subscriber", "SubscriberUsecase"),
    ("faststream._internal.endpoint.subscriber", "SubscriberSpecification"),
    ("faststream._internal.endpoint.subscriber.mixins", "TasksMixin"),
    ("faststream._internal.endpoint.subscriber.call_item", "CallsCollection"),
    ("faststream._internal.endpoint.publisher", "PublisherUsecase"),
    ("faststream._internal.endpoint.publisher", "PublisherSpecification"),
    ("faststream._internal.endpoint.publisher.fake", "FakePublisher"),
    ("faststream._internal.endpoint.utils", "ParserComposition"),
    ("faststream._internal.endpoint.utils", "process_msg"),
    ("faststream._internal.logger", "DefaultLoggerStorage"),
    ("faststream._internal.logger", "make_logger_state"),
    ("faststream._internal.logger.logging", "get_broker_logger"),
    ("faststream._internal.middlewares", "BaseMiddleware"),
    ("faststream._internal.parser", "BatchCodecProto"),
    ("faststream._internal.parser", "DefaultCodec"),
    ("faststream._internal.producer", "ProducerProto"),
    ("faststream._internal.testing.broker", "TestBroker"),
    ("faststream._internal.testing.broker", "change_producer"),
    ("faststream.response.response", "BatchPublishCommand"),
]


def test_faststream_is_the_pinned_release() -> None:
    assert version("faststream") == PINNED


@pytest.mark.parametrize(("module", "name"), USED_INTERNALS)
def test_an_internal_the_adapter_uses_still_exists(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module}.{name} is gone"


def test_subscriber_usecase_keeps_the_hooks_the_subscriber_overrides() -> None:
    init = inspect.signature(SubscriberUsecase.__init__)
    assert list(init.parameters)[1:] == ["config", "specification", "calls"]
    for hook in ("start", "stop", "consume", "process_message", "get_one", "_post_start"):
        assert hasattr(SubscriberUsecase, hook), hook
    # FailureCapture is inserted by overriding this property: it must still be read
    # when the middleware stack of a message is built.
    source = inspect.getsource(SubscriberUsecase)
    assert "self._broker_middlewares" in source


def test_test_broker_keeps_the_hooks_the_test_broker_implements() -> None:
    for hook in (
        "_fake_connect",
        "_fake_close",
        "_patch_producer",
        "create_publisher_fake_subscriber",
    ):
        assert hasattr(TestBroker, hook), hook


def test_the_ack_middleware_still_settles_through_the_message() -> None:
    from faststream.middlewares.acknowledgement import middleware

    source = inspect.getsource(middleware)
    for call in ("message.ack", "message.nack", "message.reject"):
        assert call in source
