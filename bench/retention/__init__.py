"""Does retention keep storage and latency flat under sustained load? Two runs at once,
same load, each on its own broker and database: retention ON with short periods, and
retention OFF as the same-run baseline.

Run from the repository root (``make bench-retention``)::

    python -m bench.retention                    # 5 minutes, pulsar-lite + SQLite
    python -m bench.retention --seconds 60       # a smoke run
    python -m bench.retention --postgres         # PostgreSQL instead of SQLite

Each run: a private pulsar-lite, a fresh migrated database, ``alpes worker run commands``
and ``alpes worker run relay`` as processes (the relay purges). Before the clock, a pool
of campaigns is created; then v2 commands at a steady rate, mostly budget adjustments of
the pool and a share of new campaigns, so the tables retention bounds (outbox, command
log) are what grows. Every ``--sample-every`` seconds: the rows and the bytes of the
database. Every command is timed twice: to its ``processed_at`` in the command log (read
as the run goes, before retention deletes it) and to its event on the v2 stream.

The last lines of the output are JSON: one object per run, then the comparison.
"""
