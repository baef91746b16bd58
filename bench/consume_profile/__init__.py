"""Where the adapter's consume time goes, on pulsar-lite.

    python -m bench.consume_profile [--messages 20000] [--repeats 3]

1. Ablation on a real broker: the same N pre-published messages consumed by
   (a) the raw receive/ack loop of bench.broker,
   (b) that loop receiving through the adapter's ``Receiver`` (a task per receive,
       awaited with ``asyncio.wait`` so a timeout never cancels it),
   (c) the adapter with ``apply_types=False`` (handler gets the decoded body, no
       fast_depends/pydantic validation),
   (d) the adapter as bench.broker runs it (``async def handle(body: bytes)``).
   Reported: median msg/s, wall and main-thread CPU microseconds per message.
2. The pieces one by one, main-thread CPU per message: a raw ``receive()`` and a raw
   ``acknowledge()`` on their own; ``subscriber.consume(delivery)`` (the FastStream
   pipeline) on an in-memory message, on real received ``pulsar.Message`` objects with a
   no-op settler, and on real messages acknowledged through the adapter's settler.
3. The pipeline's stages: cProfile's inclusive share of each, scaled to the pipeline's
   unprofiled cost.

Diagnostics for docs/benchmarks-broker.md; prints text only (no JSON).
"""
