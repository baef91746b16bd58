"""One broker's runs: warm-up, then each measurement with adapter and raw runs
alternating."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bench.common import say

from .adapter import adapter_consume, adapter_publish, adapter_publish_batch
from .raw import raw_consume, raw_publish, raw_publish_batch
from .results import Result
from .settings import MEASUREMENTS, Settings, Target, fresh_topic

Runner = Callable[[Target, Settings, str, int], Awaitable[float]]


RUNNERS: dict[str, dict[str, Runner]] = {
    "consume": {"adapter": adapter_consume, "raw": raw_consume},
    "publish": {"adapter": adapter_publish, "raw": raw_publish},
    "publish_batch": {"adapter": adapter_publish_batch, "raw": raw_publish_batch},
}


def sides(repeat: int) -> tuple[str, str]:
    """Adapter and raw alternate, and the pair's order flips every repeat (A R, R A, A R ...)
    so that neither side always runs first on a broker whose state drifts."""
    return ("adapter", "raw") if repeat % 2 == 0 else ("raw", "adapter")


async def timed(
    result: Result, side: str, runner: Runner, target: Target, s: Settings, topic: str, n: int
) -> float:
    cpu0, loop_cpu0 = time.process_time(), time.thread_time()
    rate = await asyncio.wait_for(runner(target, s, topic, n), s.run_timeout)
    cpu = (time.process_time() - cpu0) / n * 1e6
    loop_cpu = (time.thread_time() - loop_cpu0) / n * 1e6
    result.add(side, rate, cpu, loop_cpu)
    return rate


async def bench_broker(target: Target, s: Settings) -> list[Result]:
    n = target.messages
    results = {m: Result(target.name, m, n, s.size) for m in s.measurements}
    # Topics the adapter published N messages to: the consume runs read them, so consume
    # inputs are what the adapter writes in production (one correlation_id property).
    filled: list[str] = []

    if s.warmup:
        say(f"  warm-up: {s.warmup} messages through each path")
        for m in ("publish", "publish_batch", "consume"):
            for side in ("adapter", "raw"):
                topic = filled.pop() if m == "consume" else fresh_topic(target.name, "warmup")
                await asyncio.wait_for(RUNNERS[m][side](target, s, topic, s.warmup), s.run_timeout)
                if m != "consume" and side == "adapter":
                    filled.append(topic)
        filled.clear()

    def progress(m: str, side: str, repeat: int, rate: float) -> None:
        r = results[m]
        cpu = getattr(r, f"{side}_cpu")[-1]
        loop_cpu = getattr(r, f"{side}_loop_cpu")[-1]
        say(
            f"  {m:<13} {side:<7} run {repeat + 1}/{s.repeats}: {rate:>7,.0f} msg/s"
            f"   CPU {cpu:4.0f} us/msg (event loop thread {loop_cpu:4.0f})"
        )

    for m in ("publish", "publish_batch"):
        if m not in results:
            continue
        for repeat in range(s.repeats):
            for side in sides(repeat):
                topic = fresh_topic(target.name, f"{m}-{side}")
                rate = await timed(results[m], side, RUNNERS[m][side], target, s, topic, n)
                if side == "adapter":
                    filled.append(topic)
                progress(m, side, repeat, rate)

    if "consume" in results:
        while len(filled) < 2 * s.repeats:
            # Consume alone: fill its input topics first (untimed), the adapter's way.
            topic = fresh_topic(target.name, "input")
            await adapter_publish_batch(target, s, topic, n)
            filled.append(topic)
        for repeat in range(s.repeats):
            for side in sides(repeat):
                topic = filled.pop(0)
                rate = await timed(
                    results["consume"], side, RUNNERS["consume"][side], target, s, topic, n
                )
                progress("consume", side, repeat, rate)

    return [results[m] for m in MEASUREMENTS if m in results]
