"""The tables: each run's samples over time, its summary, and ON against OFF."""

from __future__ import annotations

from typing import Any

from .figures import COMPARED, MB, window_latencies
from .run import Run

HEADER = (
    f"{'t s':>5} {'sent':>7} {'outbox pub':>10} {'pending':>7} {'cmd log':>8} {'campaigns':>9} "
    f"{'used MB':>8} {'file MB':>8} {'WAL MB':>7} {'log p50':>8} {'event p50':>9} {'p99':>7}"
)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / MB:.1f}"


def samples_table(run: Run, title: str) -> list[str]:
    out = [title, "  " + HEADER]
    for k, sample in enumerate(run.samples):
        s, lat = sample.storage, window_latencies(run, k)
        out.append(
            f"  {sample.at:>5.0f} {sample.sent:>7,} {s.outbox_published:>10,} "
            f"{s.outbox_pending:>7,} {s.command_log:>8,} {s.campaigns:>9,} "
            f"{s.used_bytes / MB:>8.1f} {s.file_bytes / MB:>8.1f} {_mb(s.wal_bytes):>7} "
            f"{_ms(lat['log_p50']):>8} {_ms(lat['event_p50']):>9} {_ms(lat['event_p99']):>7}"
        )
    out.append(
        "  latencies (ms) of the commands sent since the previous sample: to their command-log "
        "processed_at (log p50), to their event on the v2 stream (event p50, p99)"
    )
    return out


def summary(j: dict[str, Any]) -> list[str]:
    def line(label: str, name: str) -> str:
        early, end = j[f"{name}_first_third"], j[f"{name}_end"]
        return (
            f"    {label:<28} {early:>12,} at {j['first_third_at_s']} s -> {end:>12,} "
            f"at {j['seconds']} s   growth x{j[f'{name}_growth']}"
        )

    def latency(label: str, name: str) -> str:
        def ms(figure: str) -> str:
            return _ms(j[f"{name}_{figure}"])

        return (
            f"    {label:<28} p50 {ms('p50_ms_first_third')} ms first third -> "
            f"{ms('p50_ms_last_third')} ms last third (x{j[f'{name}_p50_last_vs_first']}); "
            f"p99 {ms('p99_ms_first_third')} -> {ms('p99_ms_last_third')} ms"
        )

    wal = "-" if j["wal_mb_end"] is None else f"{j['wal_mb_end']} MB"
    tables = ", ".join(f"{t} {mb} MB" for t, mb in j["table_mb_end"].items())
    return [
        f"  {j['run'].upper()}: {j['sent']:,} commands sent in {j['seconds']} s, "
        f"{j['events_received']:,} events received, {j['rejected']} rejected, "
        f"{j['send_failures']} send failures",
        line("outbox rows", "outbox_rows"),
        line("command-log rows", "command_log_rows"),
        line("campaign rows", "campaign_rows"),
        line("used bytes (MB)", "used_mb"),
        line("file bytes (MB)", "file_mb"),
        f"    {'at the end':<28} WAL {wal}; with indexes: {tables}; "
        f"outbox pending at most {j['outbox_pending_max']:,}",
        latency("sent -> command log", "to_log"),
        latency("sent -> event received", "to_event"),
    ]


def comparison_lines(c: dict[str, Any]) -> list[str]:
    return ["  ON / OFF:"] + [f"    {k:<30} {c[k]}" for k in COMPARED]
