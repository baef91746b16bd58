"""Shortcuts past ``pulsar.asyncio`` to the client's C++ objects, for the hot paths.

``pulsar.asyncio`` settles every receive, acknowledge and send through an asyncio future
completed from a C++ thread: a thread hop and an event-loop wake-up per call, about
25 of the 32 µs a receive + acknowledge costs on this machine, and about half of what a
batched send costs. Here:

* ``acknowledge``: pulsar-client groups acknowledgements (every 100 ms by default;
  the adapter never turns that off), so the C++ acknowledge only queues the ack and
  returns at once. Calling it directly skips the future and cannot block the loop.
* ``take_ready``: a receive with a zero timeout returns a message the client has
  already prefetched, or fails at once. Draining those after one awaited receive
  turns a backlog into batches without any waiting: a lone message is not delayed.
* ``send_all``: many sends started at once, completed by one asyncio future when the
  last one is confirmed (one event-loop wake-up per batch, not per message).

They read attributes pulsar-client does not document (``Consumer._consumer``,
``Producer._producer``, ``Message._message``); tests/unit/pulsar/test_native.py fails if
they change.
"""

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import _pulsar
import pulsar
import pulsar.asyncio

# What a send ends with: the stored message's id, or the client's error code
# (pulsar.Result; _pulsar has no type stubs).
SendResult: TypeAlias = Any


@dataclass(frozen=True, slots=True)
class Send:
    producer: pulsar.asyncio.Producer
    payload: bytes
    properties: dict[str, str]
    key: str | None = None


def acknowledge(consumer: pulsar.asyncio.Consumer, message: Any) -> None:
    native = message._message if isinstance(message, pulsar.Message) else message
    consumer._consumer.acknowledge(native)


def take_ready(consumer: pulsar.asyncio.Consumer, limit: int) -> list[Any]:
    """Up to ``limit`` messages already received by the client, without waiting.

    They are the C++ client's messages, not wrapped in ``pulsar.Message`` (which builds
    a schema object per message): they have the same accessors the adapter reads."""
    receive = consumer._consumer.receive
    taken: list[Any] = []
    while len(taken) < limit:
        try:
            taken.append(receive(0))
        except pulsar.Timeout:  # nothing prefetched (about 90 µs: once per batch)
            break
    return taken


async def send_all(sends: Sequence[Send]) -> list[SendResult]:
    """Start every send in order and wait for them all; one result per send, in order.

    The caller bounds how many are in flight (the producers' queues must hold them)."""
    results: list[SendResult] = [pulsar.Result.UnknownError] * len(sends)
    if not sends:
        return results
    loop = asyncio.get_running_loop()
    all_done = loop.create_future()
    finished = itertools.count(1)  # next() is atomic under the GIL: C++ threads call back
    total = len(sends)

    def resolve() -> None:
        if not all_done.done():
            all_done.set_result(None)

    def on_sent(index: int, result: pulsar.Result, message_id: Any) -> None:
        results[index] = message_id if result == pulsar.Result.Ok else result
        if next(finished) == total:
            try:
                loop.call_soon_threadsafe(resolve)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass

    for index, send in enumerate(sends):
        builder = _pulsar.MessageBuilder()
        builder.content(send.payload)
        builder.properties(send.properties)
        if send.key:
            builder.partition_key(send.key)
        try:
            send.producer._producer.send_async(
                builder.build(), lambda r, m, i=index: on_sent(i, r, m)
            )
        except _pulsar.PulsarException:  # the client reports failures by callback; just in case
            on_sent(index, pulsar.Result.UnknownError, None)
    await all_done
    return results
