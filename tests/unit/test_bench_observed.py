"""bench.pipeline's observed run, its pure parts: the option, the order of the phases,
the OTLP sink and its span count, the ratio and the report's lines."""

import gzip
import urllib.error
import urllib.request
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.pipeline.config import phase_order
from bench.pipeline.observed import DEFAULT_SAMPLER, TraceSink, observed_env, sampler, span_names
from bench.pipeline.options import parse_args
from bench.pipeline.report import observed_rows
from bench.pipeline.results import PipelineRun, median_cpu_us, paired_ratio, ratio


def test_observed_is_an_option_off_by_default() -> None:
    assert parse_args([]).observed is False
    assert parse_args(["--observed"]).observed is True
    assert parse_args(["--observed", "--no-observed"]).observed is False


def test_the_plain_and_observed_v2_runs_take_turns_being_first() -> None:
    assert phase_order(0, False) == ["pipeline", "pipeline-v2", "naive"]
    assert phase_order(0, True) == ["pipeline", "pipeline-v2", "pipeline-v2-observed", "naive"]
    assert phase_order(1, True) == ["naive", "pipeline-v2-observed", "pipeline-v2", "pipeline"]


def test_the_workers_get_metrics_on_any_port_and_traces_to_the_sink() -> None:
    assert observed_env("http://127.0.0.1:4318") == {
        "ALPES_METRICS_PORT": "0",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        "OTEL_SERVICE_NAME": "alpes-bench",
    }


def test_the_sampler_reported_is_the_one_the_workers_get(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    assert sampler({}) == DEFAULT_SAMPLER == "parentbased_always_on"
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    assert sampler({}) == "traceidratio"
    assert sampler({"OTEL_TRACES_SAMPLER": "always_off"}) == "always_off"


def export_request(*names: str) -> bytes:
    request = ExportTraceServiceRequest()
    spans = request.resource_spans.add().scope_spans.add().spans
    for name in names:
        spans.add(name=name)
    return request.SerializeToString()


def post(url: str, body: bytes, **headers: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_span_names_are_counted_in_plain_and_gzipped_requests() -> None:
    body = export_request("apply crear-campana", "publish x", "publish x")
    expected = {"apply crear-campana": 1, "publish x": 2}
    assert span_names(body) == expected
    assert span_names(gzip.compress(body), "gzip") == expected


def test_the_sink_answers_200_to_traces_and_counts_what_it_received() -> None:
    body = export_request("apply crear-campana", "publish x")
    with TraceSink() as sink:
        assert post(f"{sink.url}/v1/traces", body) == 200
        assert (
            post(f"{sink.url}/v1/traces", gzip.compress(body), **{"Content-Encoding": "gzip"})
            == 200
        )
        assert post(f"{sink.url}/v1/metrics", body) == 404
        assert sink.requests == 2
        assert sink.spans() == {"apply crear-campana": 2, "publish x": 2}


def test_ratio_is_none_when_a_side_is_missing() -> None:
    assert ratio(850.0, 1000.0) == 0.85
    assert ratio(None, 1000.0) is None
    assert ratio(850.0, None) is None


def test_the_paired_ratio_is_the_median_of_each_repeats_ratio() -> None:
    # A busy repeat slows both runs of the pair: the ratio of medians (900 / 2000) would
    # mix a busy observed run with a quiet plain one.
    assert paired_ratio([500.0, 900.0, 1800.0], [600.0, 2000.0, 2000.0]) == 0.83
    assert paired_ratio([], [600.0]) is None


def run(rate: float, worker_s: float, relay_s: float, machine_s: float) -> PipelineRun:
    cpu: dict[str, Any] = {
        "processes": {"commands worker": worker_s, "relay": relay_s},
        "machine_s": machine_s,
    }
    return PipelineRun(rate=rate, wall_rate=rate, seconds=1.0, batches=1, cpu=cpu)


def test_cpu_per_command_is_the_median_over_the_runs() -> None:
    runs = [run(1, 2.0, 1.0, 5.0), run(1, 4.0, 1.0, 6.0), run(1, 3.0, 3.0, 9.0)]
    cpu = median_cpu_us(runs, 10_000)
    assert cpu["commands worker"] == 300.0
    assert cpu["relay"] == 100.0
    assert cpu["workers"] == 500.0  # the median of the sums, not the sum of the medians
    assert cpu["machine"] == 600.0
    assert median_cpu_us([], 10_000) == {}


def test_the_report_puts_the_observed_run_beside_the_plain_one() -> None:
    j = {
        "pipeline_v2_observed_cmd_s": 850.0,
        "ratio_observed_vs_v2": 0.85,
        "ratio_observed_vs_v2_paired": 0.8,
        "pipeline_v2_observed_runs_cmd_s": [800.0, 850.0, 900.0],
        "cpu_us_per_cmd_v2": {"commands worker": 180.0, "relay": 170.0, "machine": 900.0},
        "cpu_us_per_cmd_v2_observed": {"commands worker": 250.0, "relay": 300.0},
        "observed": {
            "traces": "OTLP http/protobuf to a local sink",
            "sampler": "parentbased_always_on",
            "runs": [{"spans": 60000, "metrics_commands_total": 20000.0}],
        },
    }
    lines = observed_rows(j)
    assert "850.0" in lines[0] and "[800.0, 850.0, 900.0]" in lines[0]
    assert "0.85   of the medians; median of the per-repeat ratios 0.8" in lines[1]
    assert "commands worker 180 -> 250, relay 170 -> 300" in lines[2]
    assert "sampler parentbased_always_on; spans per run [60000]" in lines[3]
    assert lines[3].endswith("alpes_commands_total per run [20000]")
    assert observed_rows({"pipeline_v2_observed_runs_cmd_s": []}) == []
