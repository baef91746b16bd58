"""A broker measurement's figures (adapter and raw runs, their CPU), its JSON and the
results table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    broker: str
    measurement: str
    messages: int
    size: int
    adapter: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    # CPU microseconds per message of this process (all threads) and of its main
    # (event-loop) thread, per run: less disturbed than msg/s by a busy machine.
    adapter_cpu: list[float] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)
    adapter_loop_cpu: list[float] = field(default_factory=list)
    raw_loop_cpu: list[float] = field(default_factory=list)

    def add(self, side: str, rate: float, cpu_us: float, loop_cpu_us: float) -> None:
        getattr(self, side).append(rate)
        getattr(self, f"{side}_cpu").append(cpu_us)
        getattr(self, f"{side}_loop_cpu").append(loop_cpu_us)

    @property
    def adapter_median(self) -> float:
        return statistics.median(self.adapter)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw)

    @property
    def ratio(self) -> float:
        return self.adapter_median / self.raw_median

    def as_json(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "measurement": self.measurement,
            "messages": self.messages,
            "size": self.size,
            "adapter_msg_s": round(self.adapter_median, 1),
            "raw_msg_s": round(self.raw_median, 1),
            "ratio": round(self.ratio, 3),
            "repeats": len(self.adapter),
            "adapter_runs_msg_s": [round(v, 1) for v in self.adapter],
            "raw_runs_msg_s": [round(v, 1) for v in self.raw],
            "adapter_cpu_us_msg": round(statistics.median(self.adapter_cpu), 1),
            "raw_cpu_us_msg": round(statistics.median(self.raw_cpu), 1),
            "adapter_loop_cpu_us_msg": round(statistics.median(self.adapter_loop_cpu), 1),
            "raw_loop_cpu_us_msg": round(statistics.median(self.raw_loop_cpu), 1),
        }


def table(results: list[Result]) -> list[str]:
    head = (
        f"{'broker':<14} {'measurement':<14} {'messages':>8} {'size':>5} "
        f"{'adapter msg/s':>14} {'raw msg/s':>10} {'ratio':>6} "
        f"{'CPU us/msg adapter':>19} {'raw':>5}   runs adapter | raw (msg/s)"
    )
    rows = [head, "-" * len(head)]
    for r in results:
        runs = (
            " ".join(f"{v:,.0f}" for v in r.adapter) + " | " + " ".join(f"{v:,.0f}" for v in r.raw)
        )
        cpu_adapter, cpu_raw = statistics.median(r.adapter_cpu), statistics.median(r.raw_cpu)
        rows.append(
            f"{r.broker:<14} {r.measurement:<14} {r.messages:>8} {r.size:>5} "
            f"{r.adapter_median:>14,.0f} {r.raw_median:>10,.0f} {r.ratio:>6.2f} "
            f"{cpu_adapter:>19.0f} {cpu_raw:>5.0f}   {runs}"
        )
    return rows
