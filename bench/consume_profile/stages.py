"""3. The stages of FastStream's per-message pipeline: cProfile's inclusive share of each,
scaled to the pipeline's unprofiled cost."""

from __future__ import annotations

import cProfile
import pstats
import time
from typing import Any

from adapters.pulsar import PULSAR_LITE, PulsarBroker
from adapters.pulsar.delivery import Delivery
from bench.broker.settings import SUBSCRIPTION, Settings, fresh_topic
from bench.common import ADAPTER_LOGGER, say

from .fakes import FakeMessage, FakeSettler

# (label, file suffix, function name): inclusive cProfile time of each stage.
STAGES = (
    (
        "handler call: fast_depends + decode (HandlerItem.call)",
        "faststream/_internal/endpoint/subscriber/call_item.py",
        "call",
    ),
    (
        "  fast_depends: validate body: bytes, call handler",
        "fast_depends/use.py",
        "injected_wrapper",
    ),
    (
        "  decode_message: json.loads attempt on bytes without content-type",
        "faststream/message/utils.py",
        "decode_message",
    ),
    (
        "parse: PulsarParser.parse_message + StreamMessage",
        "faststream/_internal/endpoint/subscriber/call_item.py",
        "is_suitable",
    ),
    (
        "acknowledgement middleware exit (ack through the settler)",
        "faststream/middlewares/acknowledgement/middleware.py",
        "__aexit__",
    ),
    (
        "build the middleware stack (per message)",
        "faststream/_internal/endpoint/subscriber/usecase.py",
        "__build__middlewares_stack",
    ),
    ("get_log_context", "adapters/pulsar/subscriber/usecase.py", "get_log_context"),
)


async def pipeline(url: str, s: Settings, n: int) -> None:
    broker = PulsarBroker(url, capabilities=PULSAR_LITE, logger=ADAPTER_LOGGER)

    @broker.subscriber(fresh_topic("profile", "pipeline"), subscription=SUBSCRIPTION)
    async def handle(body: bytes) -> None:
        return None

    await broker.start()
    try:
        subscriber = broker.subscribers[0]
        message, settler = FakeMessage(s.payload), FakeSettler()

        async def run(count: int) -> float:
            started = time.perf_counter()
            for _ in range(count):
                await subscriber.consume(Delivery(message, settler))
            return (time.perf_counter() - started) / count * 1e6

        await run(2000)
        plain = min([await run(n) for _ in range(3)])
        profile = cProfile.Profile()
        profile.enable()
        await run(n)
        profile.disable()
    finally:
        await broker.stop()

    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def inclusive(suffix: str, function: str) -> float:
        return max(
            (v[3] for (f, _, fn), v in stats.items() if f.endswith(suffix) and fn == function),
            default=0.0,
        )

    total = inclusive("faststream/_internal/endpoint/subscriber/usecase.py", "consume")
    say(f"\n3. FastStream pipeline alone (subscriber.consume, no I/O): {plain:.1f} us/msg")
    say("   stage shares from cProfile (inclusive), scaled to that figure:")
    for label, suffix, function in STAGES:
        share = inclusive(suffix, function) / total
        say(f"{share * plain:7.1f} us {share * 100:5.1f}%  {label}")
