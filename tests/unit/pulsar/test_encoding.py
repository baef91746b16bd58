"""Bodies to Pulsar messages: the codec, and the options a PulsarResponse brings."""

from datetime import UTC, datetime
from typing import Any

import pytest
from faststream._internal.parser import DefaultCodec
from faststream.response.publish_type import PublishType

from adapters.pulsar import PulsarResponse
from adapters.pulsar.publisher.encoding import encode, encode_batch
from adapters.pulsar.response import PulsarPublishCommand

from ...broker.cases import TaggedCodec


def command(*bodies: Any, **options: Any) -> PulsarPublishCommand:
    return PulsarPublishCommand(*bodies, topic="t", _publish_type=PublishType.PUBLISH, **options)


async def test_a_responses_own_options_win_over_the_commands() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    cmd = command(
        PulsarResponse({"n": 1}, key="mine", headers={"h": "r"}, sequence_id=7, event_time=when),
        key="theirs",
        headers={"h": "c", "other": "c"},
        correlation_id="corr",
        sequence_id=3,
    )
    message = await encode(cmd, DefaultCodec(), None)
    assert message.payload == b'{"n":1}'
    assert message.key == "mine"
    assert message.sequence_id == 7
    assert message.event_time == when
    assert message.properties == {
        "h": "r",
        "other": "c",
        "content-type": "application/json",
        "correlation_id": "corr",
    }


async def test_a_batch_codec_encodes_the_whole_batch_in_one_call() -> None:
    codec = TaggedCodec()
    messages = await encode_batch(command("a", PulsarResponse("b", key="k"), "c"), codec, None)
    assert codec.batches == [3] and codec.singles == 0
    assert [m.payload for m in messages] == [b'0/3:"a"', b'1/3:"b"', b'2/3:"c"']
    assert [m.key for m in messages] == [None, "k", None]


async def test_a_batch_codec_returning_too_few_messages_is_refused() -> None:
    class Short(TaggedCodec):
        async def encode_batch(self, msgs: Any, serializer: Any = None) -> Any:
            return (await super().encode_batch(msgs, serializer))[:-1]

    with pytest.raises(ValueError, match=r"Short.encode_batch returned 1 messages for 2 bodies"):
        await encode_batch(command("a", "b"), Short(), None)
