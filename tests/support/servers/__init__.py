"""One driver for each server the tests and the benchmarks start: Apache Pulsar standalone
(plain or secured), pulsar-lite, PostgreSQL and the service's `alpes worker run` processes.
bench/ imports them from here."""
