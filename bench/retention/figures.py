"""The figures of a run: latencies by window, the first third against the end, and the
ON run against the OFF run. Medians and ratios."""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench.pipeline.stats import percentile

from .run import Run, Sample

MB = 1e6


def latencies_ms(run: Run, start: int, end: int, to: str) -> list[float]:
    """Of the commands ``start`` to ``end`` (send order), how long from the send to their
    ``to``: "processed_at" (the command log) or "event_at" (the v2 event received)."""
    sent, done = run.load.sent_at, getattr(run.load, to)
    return [
        (done[i] - sent[i]) * 1000
        for i in range(start, min(end, len(sent)))
        if not math.isnan(done[i])
    ]


def stat(values: list[float], q: float = 50) -> float | None:
    if not values:
        return None
    return round(statistics.median(values) if q == 50 else percentile(values, q), 1)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def window_latencies(run: Run, k: int) -> dict[str, float | None]:
    """Of the commands sent between sample k-1 and sample k."""
    start = run.samples[k - 1].sent if k else 0
    end = run.samples[k].sent
    to_log = latencies_ms(run, start, end, "processed_at")
    to_event = latencies_ms(run, start, end, "event_at")
    return {"log_p50": stat(to_log), "event_p50": stat(to_event), "event_p99": stat(to_event, 99)}


def first_third(run: Run) -> Sample:
    """The sample nearest the end of the first third of the load."""
    third = run.samples[-1].at / 3
    return min(run.samples, key=lambda s: abs(s.at - third))


def figures(run: Run, retention: dict[str, str]) -> dict[str, Any]:
    early, end = first_third(run), run.samples[-1]
    n = len(run.load.sent_at)
    out: dict[str, Any] = {
        "bench": "retention",
        "run": run.name,
        "settings": retention,
        "seconds": round(end.at),
        "offered_cmd_s": run.load.rate,
        "sent": n,
        "events_received": run.received,
        "rejected": run.rejected,
        "send_failures": run.load.failures,
        "first_third_at_s": round(early.at),
    }

    def trend(name: str, early_value: float, end_value: float, digits: int = 0) -> None:
        out[f"{name}_first_third"] = round(early_value, digits)
        out[f"{name}_end"] = round(end_value, digits)
        out[f"{name}_growth"] = ratio(end_value, early_value)

    a, b = early.storage, end.storage
    trend(
        "outbox_rows", a.outbox_published + a.outbox_pending, b.outbox_published + b.outbox_pending
    )
    trend("command_log_rows", a.command_log, b.command_log)
    trend("campaign_rows", a.campaigns, b.campaigns)
    trend("used_mb", a.used_bytes / MB, b.used_bytes / MB, 1)
    trend("file_mb", a.file_bytes / MB, b.file_bytes / MB, 1)
    out["wal_mb_end"] = None if b.wal_bytes is None else round(b.wal_bytes / MB, 1)
    out["outbox_pending_max"] = max(s.storage.outbox_pending for s in run.samples)
    out["table_mb_end"] = {t: round(v / MB, 1) for t, v in run.tables.items()}
    for to, name in (("processed_at", "to_log"), ("event_at", "to_event")):
        first = latencies_ms(run, 0, n // 3, to)
        last = latencies_ms(run, 2 * n // 3, n, to)
        out[f"{name}_p50_ms_first_third"] = stat(first)
        out[f"{name}_p50_ms_last_third"] = stat(last)
        out[f"{name}_p50_last_vs_first"] = ratio(stat(last), stat(first))
        out[f"{name}_p99_ms_first_third"] = stat(first, 99)
        out[f"{name}_p99_ms_last_third"] = stat(last, 99)
    return out


COMPARED = (
    "outbox_rows_end",
    "command_log_rows_end",
    "used_mb_end",
    "file_mb_end",
    "used_mb_growth",
    "to_log_p50_ms_last_third",
    "to_event_p50_ms_last_third",
    "to_event_p99_ms_last_third",
)


def comparison(on: dict[str, Any], off: dict[str, Any]) -> dict[str, Any]:
    """ON / OFF for each figure that says whether retention pays."""
    return {"bench": "retention", "run": "on/off"} | {k: ratio(on[k], off[k]) for k in COMPARED}
