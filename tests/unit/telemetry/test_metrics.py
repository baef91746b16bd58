"""The metrics' labels come from closed sets: nothing off the wire becomes a label."""

from prometheus_client.parser import text_string_to_metric_families

from adapters.telemetry.metrics import ServiceMetrics


def samples(metrics: ServiceMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def test_a_command_type_of_no_command_is_counted_as_unknown() -> None:
    metrics = ServiceMetrics()
    metrics.command("borrar-todo; DROP TABLE", "rejected", "UNKNOWN_COMMAND", 0.01)
    metrics.command("crear-campana", "applied", "", 0.02)
    found = samples(metrics)
    unknown = {"command_type": "unknown", "outcome": "rejected", "reason": "UNKNOWN_COMMAND"}
    assert found[("alpes_commands_total", frozenset(unknown.items()))] == 1
    applied = {"command_type": "crear-campana", "outcome": "applied", "reason": ""}
    assert found[("alpes_commands_total", frozenset(applied.items()))] == 1
    assert found[("alpes_command_latency_seconds_count", frozenset())] == 2


def test_event_types_and_versions_are_bounded_too() -> None:
    metrics = ServiceMetrics()
    metrics.published("campana-creada", "2")
    metrics.published("<script>", "99")
    metrics.projected("whatever", "applied", 0.5)
    metrics.notified("campana-activada")
    found = samples(metrics)
    pub = "alpes_events_published_total"
    creada = {"event_type": "campana-creada", "schema_version": "2"}
    other = {"event_type": "unknown", "schema_version": "unknown"}
    assert found[(pub, frozenset(creada.items()))] == 1
    assert found[(pub, frozenset(other.items()))] == 1
    projected = {"event_type": "unknown", "result": "applied"}
    assert found[("alpes_events_projected_total", frozenset(projected.items()))] == 1
    assert found[("alpes_projection_lag_seconds_sum", frozenset())] == 0.5


def test_dead_letters_are_counted_by_subscription_and_reason() -> None:
    metrics = ServiceMetrics()
    parked = {"DLQ_SUBSCRIPTION": "alpes-projector", "DLQ_REASON": "max-redeliveries"}
    metrics.dead_lettered(parked | {"REAL_TOPIC": "t", "DLQ_EXCEPTION_MESSAGE": "x"})
    labels = {"subscription": "alpes-projector", "reason": "max-redeliveries"}
    assert samples(metrics)[("alpes_dead_letters_total", frozenset(labels.items()))] == 1


def test_rows_purged_by_retention_are_counted_by_table() -> None:
    metrics = ServiceMetrics()
    metrics.purged(outbox=3, command_log=0)
    metrics.purged(outbox=2, command_log=5)
    found = samples(metrics)
    assert found[("alpes_rows_purged_total", frozenset({("table", "outbox")}))] == 5
    assert found[("alpes_rows_purged_total", frozenset({("table", "command_log")}))] == 5


def test_every_sample_a_scrape_holds_is_among_the_exported_names() -> None:
    metrics = ServiceMetrics()
    metrics.transaction(3, 0.01)
    metrics.command_failed("crear-campana", "given-back")
    metrics.outbox(4, None)
    names = {name for name, _ in samples(metrics)}
    assert names <= metrics.exported_names()
    assert "alpes_outbox_pending" in names
