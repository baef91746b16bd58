"""The figures of one configuration: its pipeline, latency, baseline and soak runs, their
medians and the JSON object printed last."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from .observed import Observation
from .probes import cpu_wait_pct, other_load
from .stats import percentile, slope_per_minute


@dataclass
class PipelineRun:
    rate: float  # from the rows' timestamps
    wall_rate: float  # from polling the counts
    seconds: float
    batches: int
    cpu: dict[str, Any]
    code: str = ""
    worker_hwm_mb: float = 0.0
    relay_hwm_mb: float = 0.0
    observation: Observation | None = None  # the observed runs' telemetry


@dataclass
class LatencyRun:
    offered: float
    achieved: float
    sent: int
    received: int
    e2e_ms: list[float]
    to_processed_ms: list[float]
    to_event_ms: list[float]
    failures: int
    cpu: dict[str, Any]

    def pct(self, which: str, q: float) -> float:
        values: list[float] = getattr(self, which)
        return percentile(values, q)


@dataclass
class Soak:
    seconds: float
    offered: float
    achieved: float
    samples: list[tuple[float, float]]  # (seconds since start, worker RSS MB)
    relay_samples: list[tuple[float, float]]
    latency: LatencyRun
    p99_by_minute: list[float]

    def as_json(self) -> dict[str, Any]:
        rss = [v for _, v in self.samples]
        half = self.samples[len(self.samples) // 2 :]
        return {
            "seconds": round(self.seconds),
            "offered_cmd_s": round(self.offered, 1),
            "achieved_cmd_s": round(self.achieved, 1),
            "worker_rss_first_mb": round(rss[0], 1) if rss else None,
            "worker_rss_last_mb": round(rss[-1], 1) if rss else None,
            "worker_rss_max_mb": round(max(rss), 1) if rss else None,
            "worker_rss_slope_mb_min": round(slope_per_minute(self.samples), 3),
            "worker_rss_slope_second_half_mb_min": round(slope_per_minute(half), 3),
            "relay_rss_last_mb": round(self.relay_samples[-1][1], 1)
            if self.relay_samples
            else None,
            "relay_rss_slope_mb_min": round(slope_per_minute(self.relay_samples), 3),
            "relay_rss_slope_second_half_mb_min": round(
                slope_per_minute(self.relay_samples[len(self.relay_samples) // 2 :]), 3
            ),
            "latency_p50_ms": round(self.latency.pct("e2e_ms", 50), 1),
            "latency_p99_ms": round(self.latency.pct("e2e_ms", 99), 1),
            "latency_p99_by_minute_ms": [round(v, 1) for v in self.p99_by_minute],
            "rss_samples_mb": [round(v, 1) for _, v in self.samples],
        }


@dataclass
class ConfigResult:
    name: str
    broker: str
    database: str
    commands: int
    naive_commands: int
    pipeline: list[PipelineRun] = field(default_factory=list)
    pipeline_v2: list[PipelineRun] = field(default_factory=list)
    pipeline_v2_observed: list[PipelineRun] = field(default_factory=list)
    sampler: str = ""  # the observed runs' trace sampler
    latency: list[LatencyRun] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    raw_consume: list[float] = field(default_factory=list)
    raw_db: list[float] = field(default_factory=list)
    soak: Soak | None = None
    profile: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: bool = False

    @property
    def complete(self) -> bool:
        return bool(self.pipeline and self.naive and self.raw_consume and self.raw_db)

    def cpu_per_command(self) -> dict[str, float]:
        """Median CPU microseconds per command over the pipeline runs: each process, the
        commands worker's event-loop thread and other threads, the whole machine."""

        def median_us(group: str, key: str) -> float:
            values: list[float] = [
                (r.cpu["machine_s"] if group == "machine" else r.cpu[group].get(key, 0.0))
                / self.commands
                * 1e6
                for r in self.pipeline
            ]
            return statistics.median(values)

        out = {
            "commands worker": median_us("processes", "commands worker"),
            "  its event-loop thread": median_us("threads", "main"),
            "  its other threads": median_us("threads", "other"),
        }
        for name in ("relay", "broker", "database", "bench", "rest of machine"):
            if any(name in r.cpu["processes"] for r in self.pipeline):
                out[name] = median_us("processes", name)
        out["machine, all cores"] = median_us("machine", "")
        return out

    def as_json(self) -> dict[str, Any]:
        def med(values: list[float]) -> float | None:
            return round(statistics.median(values), 1) if values else None

        pipeline = med([r.rate for r in self.pipeline])
        pipeline_v2 = med([r.rate for r in self.pipeline_v2])
        observed = med([r.rate for r in self.pipeline_v2_observed])
        naive = med(self.naive)
        lat = self.latency
        out: dict[str, Any] = {
            "config": self.name,
            "broker": self.broker,
            "database": self.database,
            "commands": self.commands,
            "repeats": len(self.pipeline),
            "pipeline_cmd_s": pipeline,
            "pipeline_v2_cmd_s": pipeline_v2,
            "ratio_v2_vs_v1": round(pipeline_v2 / pipeline, 2)
            if pipeline and pipeline_v2
            else None,
            "latency_p50_ms": med([r.pct("e2e_ms", 50) for r in lat]),
            "latency_p99_ms": med([r.pct("e2e_ms", 99) for r in lat]),
            "naive_cmd_s": naive,
            "ratio_vs_naive": round(pipeline / naive, 2) if pipeline and naive else None,
            "raw_consume_msg_s": med(self.raw_consume),
            "raw_db_rows_s": med(self.raw_db),
            "worker_rss_mb": round(max(r.worker_hwm_mb for r in self.pipeline), 1)
            if self.pipeline
            else None,
            "relay_rss_mb": round(max(r.relay_hwm_mb for r in self.pipeline), 1)
            if self.pipeline
            else None,
            "pipeline_runs_cmd_s": [round(r.rate, 1) for r in self.pipeline],
            "pipeline_v2_runs_cmd_s": [round(r.rate, 1) for r in self.pipeline_v2],
            "pipeline_v2_observed_cmd_s": observed,
            "ratio_observed_vs_v2": ratio(observed, pipeline_v2),
            "ratio_observed_vs_v2_paired": paired_ratio(
                [r.rate for r in self.pipeline_v2_observed], [r.rate for r in self.pipeline_v2]
            ),
            "pipeline_v2_observed_runs_cmd_s": [
                round(r.rate, 1) for r in self.pipeline_v2_observed
            ],
            "cpu_us_per_cmd_v2": median_cpu_us(self.pipeline_v2, self.commands),
            "cpu_us_per_cmd_v2_observed": median_cpu_us(self.pipeline_v2_observed, self.commands),
            "code": sorted({r.code for r in self.pipeline}),
            "pipeline_wall_cmd_s": med([r.wall_rate for r in self.pipeline]),
            "average_batch": med([self.commands / r.batches for r in self.pipeline if r.batches]),
            "latency_offered_cmd_s": med([r.offered for r in lat]),
            "latency_achieved_cmd_s": med([r.achieved for r in lat]),
            "latency_p90_ms": med([r.pct("e2e_ms", 90) for r in lat]),
            "latency_max_ms": med([max(r.e2e_ms) for r in lat if r.e2e_ms]),
            "latency_to_committed_p50_ms": med([r.pct("to_processed_ms", 50) for r in lat]),
            "latency_to_committed_p99_ms": med([r.pct("to_processed_ms", 99) for r in lat]),
            "latency_to_event_sent_p50_ms": med([r.pct("to_event_ms", 50) for r in lat]),
            "latency_to_event_sent_p99_ms": med([r.pct("to_event_ms", 99) for r in lat]),
            "pipeline_other_load_cores": med([other_load(r.cpu) for r in self.pipeline]),
            "pipeline_worker_cpu_wait_pct": med([cpu_wait_pct(r.cpu) for r in self.pipeline]),
            "latency_other_load_cores": med([other_load(r.cpu) for r in lat]),
            "latency_worker_cpu_wait_pct": med([cpu_wait_pct(r.cpu) for r in lat]),
            "naive_commands": self.naive_commands,
            "naive_runs_cmd_s": [round(v, 1) for v in self.naive],
            "raw_consume_runs_msg_s": [round(v, 1) for v in self.raw_consume],
            "raw_db_runs_rows_s": [round(v, 1) for v in self.raw_db],
            "cpu_us_per_cmd": {k.strip(): round(v, 1) for k, v in self.cpu_per_command().items()}
            if self.pipeline
            else {},
        }
        if self.pipeline_v2_observed:
            out["observed"] = {
                "metrics": "ALPES_METRICS_PORT=0 (both workers)",
                "traces": "OTLP http/protobuf to a local sink",
                "sampler": self.sampler,
                "runs": [
                    r.observation.as_json() for r in self.pipeline_v2_observed if r.observation
                ],
            }
        if self.soak is not None:
            out["soak"] = self.soak.as_json()
        return out


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b to two decimals; None when either is missing (or b is 0)."""
    return round(a / b, 2) if a and b else None


def paired_ratio(a: list[float], b: list[float]) -> float | None:
    """The median of a[i] / b[i]: runs of the same repeat, neighbours in time, so a
    load that comes and goes on the machine weighs less than in the ratio of medians."""
    pairs = [x / y for x, y in zip(a, b, strict=False) if y]
    return round(statistics.median(pairs), 2) if pairs else None


# The processes whose CPU the observed and plain v2 runs are compared on.
CPU_COLUMNS = ("commands worker", "relay", "broker", "database", "bench")


def median_cpu_us(runs: list[PipelineRun], commands: int) -> dict[str, float]:
    """Median CPU microseconds per command of each process over ``runs``, their sum for
    the two workers, and the whole machine's (all cores); empty without runs."""
    if not runs:
        return {}

    def med(values: list[float]) -> float:
        return round(statistics.median(values) / commands * 1e6, 1)

    procs = [r.cpu["processes"] for r in runs]
    out = {name: med([p.get(name, 0.0) for p in procs]) for name in CPU_COLUMNS}
    out["workers"] = med([p.get("commands worker", 0.0) + p.get("relay", 0.0) for p in procs])
    out["machine"] = med([r.cpu["machine_s"] for r in runs])
    return out
