"""Adapter overhead benchmark: the FastStream Pulsar broker against raw ``pulsar.asyncio``.

Run from the repository root::

    python -m bench.broker                      # pulsar-lite, then Apache Pulsar if it starts
    python -m bench.broker --messages 5000 --repeats 1 --no-apache

For each broker (pulsar-lite always; Apache Pulsar standalone when it can be started, or
the one ``ALPES_BENCH_APACHE_URL`` points to) and on fresh topics, it measures

* ``consume``: N messages already on a topic, timed from subscribe until the N-th
  message has been through receive -> handler -> acknowledge; adapter = a FastStream
  subscriber with ``async def handle(body: bytes)``; raw = a loop of
  ``await consumer.receive()`` / ``await consumer.acknowledge(msg)`` on a consumer
  subscribed with the options the adapter uses;
* ``publish``: N one-message publishes with a bounded number in flight, timed from
  producer creation until every send is confirmed; adapter = ``broker.publish``,
  raw = ``producer.send`` with batching off (as the adapter's producer);
* ``publish_batch``: ``broker.publish_batch(*N bodies)`` against raw sends started in
  order under the same in-flight bound and gathered.

Each measurement is repeated (``--repeats``), adapter and raw runs alternate, and the
medians are reported. The last lines of the output are JSON objects, one per
(broker, measurement); nothing is printed after them.
"""
