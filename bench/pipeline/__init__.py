"""The service end to end: throughput, latency and memory of the real worker processes,
against a one-at-a-time baseline and the raw speed of the broker and of the database.

Run from the repository root (``make bench``)::

    python -m bench.pipeline                          # both configurations
    python -m bench.pipeline --config lite-sqlite --repeats 1
    python -m bench.pipeline --config lite-sqlite --soak-seconds 300
    python -m bench.pipeline --config lite-sqlite --profile   # py-spy profile of the workers
    python -m bench.pipeline --observed     # + v2 with metrics and tracing on (make bench-observed)

Configurations: ``lite-sqlite`` (pulsar-lite + SQLite, the embedded default) and
``apache-pg`` (Apache Pulsar standalone + PostgreSQL, both private: free ports,
temporary data directories, stopped and removed at the end).

For each configuration and repeat:

* ``pipeline_cmd_s``: N ``crear-campana`` commands are published first (the backlog;
  raw producer, batching on), then ``alpes worker run commands`` and ``alpes worker run
  relay`` start as separate processes on a fresh, migrated database. Timed from the
  first command_log row (its ``processed_at``) to the last outbox row's ``published_at``,
  once every command is logged and every event published.
* latency: with those workers still running, commands at a fixed offered rate (half the
  first repeat's pipeline_cmd_s unless ``--offered-rate``), each with a ``sent_at``
  property; a plain consumer of ``campana-creada`` computes receive time - sent_at.
* ``naive_cmd_s``: ``bench.naive`` (one message at a time: receive, one commit, a
  synchronous event send, ack) in its own process on a smaller backlog.
* ``raw_consume_msg_s``: raw pulsar-client receive + ack of N messages of the same size
  (``bench.broker``'s raw consume).
* ``raw_db_rows_s``: the rows the pipeline wrote (a campaign, an outbox row and a
  command_log row per command) inserted again into a fresh database with SQLAlchemy Core
  executemany, 500 commands per transaction. Unit: commands (row triples) per second.
* ``worker_rss_mb``: peak RSS (VmHWM) of the commands worker, read before it stops.
* ``pipeline_v2_observed_cmd_s`` (``--observed``): the v2 run again with the workers'
  metrics (ALPES_METRICS_PORT=0) and traces on (OTLP/HTTP to a sink in the bench, every
  command sampled), its ratio to the plain v2 run and both runs' CPU per command; the run
  fails unless spans arrived and the commands worker's /metrics counted every command.

The runs of a repeat alternate (P V2 [O] N, N [O] V2 P, ...); figures are medians. The
last lines of the output are one JSON object per configuration; nothing is printed after
them.
"""
