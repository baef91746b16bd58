"""The results table of a configuration, and which code the workers ran."""

from __future__ import annotations

import subprocess
from typing import Any

from bench.common import ROOT

from .results import ConfigResult


def report(result: ConfigResult) -> list[str]:
    j = result.as_json()
    out = [f"{result.name}: {result.broker} + {result.database} (medians of {j['repeats']})"]

    def row(label: str, value: Any, detail: str = "") -> None:
        text = "-" if value is None else (f"{value:,.1f}" if isinstance(value, float) else value)
        out.append(f"  {label:<34} {text:>10}   {detail}")

    row("pipeline_cmd_s", j["pipeline_cmd_s"], f"v1 topic; runs {j['pipeline_runs_cmd_s']}")
    v2_runs = j["pipeline_v2_runs_cmd_s"]
    row("pipeline_v2_cmd_s", j["pipeline_v2_cmd_s"], f"v2 stream; runs {v2_runs}")
    row("  ratio v2 / v1", j["ratio_v2_vs_v1"])
    out += observed_rows(j)
    row("  polled cross-check (cmd/s)", j["pipeline_wall_cmd_s"])
    row("  average batch (commands)", j["average_batch"])
    row(
        "latency_p50_ms",
        j["latency_p50_ms"],
        f"at {j['latency_offered_cmd_s'] or 0:,.0f} cmd/s offered, "
        f"{j['latency_achieved_cmd_s'] or 0:,.0f} achieved",
    )
    row(
        "latency_p99_ms",
        j["latency_p99_ms"],
        f"p90 {j['latency_p90_ms']}, max {j['latency_max_ms']}",
    )
    row(
        "  sent -> committed p50 / p99 (ms)",
        j["latency_to_committed_p50_ms"],
        f"/ {j['latency_to_committed_p99_ms']}",
    )
    row(
        "  sent -> event sent p50 / p99 (ms)",
        j["latency_to_event_sent_p50_ms"],
        f"/ {j['latency_to_event_sent_p99_ms']}",
    )
    row(
        "  other load on the machine (cores)",
        j["pipeline_other_load_cores"],
        f"pipeline; {j['latency_other_load_cores']} during latency runs",
    )
    row(
        "  worker loop waiting for a CPU (%)",
        j["pipeline_worker_cpu_wait_pct"],
        f"pipeline; {j['latency_worker_cpu_wait_pct']} during latency runs",
    )
    row("naive_cmd_s", j["naive_cmd_s"], f"runs {j['naive_runs_cmd_s']}")
    row("ratio_vs_naive", j["ratio_vs_naive"])
    row("raw_consume_msg_s", j["raw_consume_msg_s"], f"runs {j['raw_consume_runs_msg_s']}")
    row("raw_db_rows_s (row triples/s)", j["raw_db_rows_s"], f"runs {j['raw_db_runs_rows_s']}")
    row("worker_rss_mb (peak)", j["worker_rss_mb"], f"relay {j['relay_rss_mb']} MB")
    if j["cpu_us_per_cmd"]:
        out.append("  CPU per command (us, median):")
        for k, v in j["cpu_us_per_cmd"].items():
            out.append(f"    {k:<36} {v:>8,.0f}")
    if "soak" in j:
        s = j["soak"]
        row(
            "soak worker RSS first/last/max MB",
            f"{s['worker_rss_first_mb']}/{s['worker_rss_last_mb']}/{s['worker_rss_max_mb']}",
            f"slope {s['worker_rss_slope_mb_min']} MB/min over {s['seconds']} s",
        )
        row("soak latency p50 / p99 ms", f"{s['latency_p50_ms']}/{s['latency_p99_ms']}")
    if len(j["code"]) > 1:
        out.append(f"  note: the code changed between runs: {j['code']}")
    out += [f"  {note}" for note in result.notes]
    return out


def observed_rows(j: dict[str, Any]) -> list[str]:
    """The observed v2 run against the plain one (none when --observed was off): medians,
    their ratio, CPU per command side by side, what the telemetry delivered."""
    if not j["pipeline_v2_observed_runs_cmd_s"]:
        return []
    plain, seen = j["cpu_us_per_cmd_v2"], j["cpu_us_per_cmd_v2_observed"]
    o = j["observed"]
    spans = [r["spans"] for r in o["runs"]]
    counted = [r["metrics_commands_total"] for r in o["runs"]]
    rate, ratio = j["pipeline_v2_observed_cmd_s"], j["ratio_observed_vs_v2"]
    out = [
        f"  {'pipeline_v2_observed_cmd_s':<34} {'-' if rate is None else f'{rate:,.1f}':>10}"
        f"   metrics + traces on; runs {j['pipeline_v2_observed_runs_cmd_s']}",
        f"  {'  ratio observed / plain v2':<34} {'-' if ratio is None else f'{ratio:.2f}':>10}"
        f"   of the medians; median of the per-repeat ratios {j['ratio_observed_vs_v2_paired']}",
        "  CPU us/cmd, plain v2 -> observed:  " + cpu_pairs(plain, seen),
    ]
    out.append(
        f"  telemetry: {o['traces']}, sampler {o['sampler']}; spans per run {spans}; "
        f"/metrics alpes_commands_total per run {[round(c) for c in counted]}"
    )
    return out


def cpu_pairs(plain: dict[str, float], observed: dict[str, float]) -> str:
    """``name a -> b`` for the workers and the machine, CPU us per command."""
    names = ("commands worker", "relay", "workers", "bench", "machine")
    return ", ".join(
        f"{name} {plain.get(name, 0):,.0f} -> {observed.get(name, 0):,.0f}" for name in names
    )


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            # What the workers run: changes to the benchmark, docs and tests do not count.
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!bench",
                ":!docs",
                ":!tests",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}"
