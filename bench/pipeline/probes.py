"""CPU and memory of the processes of a run, read from /proc: per process, per thread
group of the commands worker, the whole machine, and how long the worker's event loop
waited for a CPU."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_MB = 1 / 1024  # /proc/<pid>/status reports kB


def status_mb(pid: int, field_name: str = "VmRSS") -> float:
    """VmRSS (now) or VmHWM (peak) of a process in MB; 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) * PAGE_MB
    except OSError:
        pass
    return 0.0


def _stat_fields(path: Path) -> list[str] | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces; split after its ")".
    return text[text.rindex(")") + 2 :].split()


def process_cpu(pid: int, *, with_children: bool = False) -> float:
    """CPU seconds (user + system) of a process; with its live and reaped children."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
        for child in children_of(pid):
            ticks += round(process_cpu(child, with_children=True) * CLOCK_TICKS)
    return ticks / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry / "stat")
        if fields is not None and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process's ``main`` thread (the event loop) and of its ``other``
    threads (pulsar-client's C++ threads, aiosqlite's connection thread, anyio's pool:
    they all carry the process's name, so they are not told apart here)."""
    out: dict[str, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        fields = _stat_fields(task / "stat")
        if fields is None:
            continue
        key = "main" if task.name == str(pid) else "other"
        out[key] = out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return out


def machine_busy_cpu() -> float:
    """CPU seconds spent not idle by the whole machine since boot (all cores)."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def run_queue_wait(pid: int) -> float:
    """Seconds the main thread of ``pid`` has spent runnable but waiting for a CPU
    (/proc/<pid>/task/<pid>/schedstat): how much other load delayed it."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class CpuSnapshot:
    at: float
    machine: float
    processes: dict[str, float]
    threads: dict[str, float]
    waits: dict[str, float]


def cpu_snapshot(pids: dict[str, int | None], worker_pid: int | None) -> CpuSnapshot:
    processes = {}
    waits = {}
    for name, pid in pids.items():
        if pid is not None:
            processes[name] = process_cpu(pid, with_children=name == "database")
            if name in ("commands worker", "relay"):
                waits[name] = run_queue_wait(pid)
    processes["bench"] = time.process_time()
    threads = thread_cpu(worker_pid) if worker_pid is not None else {}
    return CpuSnapshot(time.monotonic(), machine_busy_cpu(), processes, threads, waits)


def cpu_between(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, Any]:
    """CPU seconds used between two snapshots, per process and per worker thread group,
    and the seconds the workers' event-loop threads waited for a CPU."""
    wall = b.at - a.at
    per_process = {k: b.processes[k] - a.processes.get(k, 0.0) for k in b.processes}
    known = sum(per_process.values())
    machine = b.machine - a.machine
    per_process["rest of machine"] = max(0.0, machine - known)
    threads = {k: b.threads[k] - a.threads.get(k, 0.0) for k in b.threads}
    waits = {k: b.waits[k] - a.waits.get(k, 0.0) for k in b.waits}
    return {
        "wall_s": wall,
        "machine_s": machine,
        "processes": per_process,
        "threads": threads,
        "run_queue_wait_s": waits,
    }


def other_load(cpu: dict[str, Any]) -> float:
    """Cores used by processes that are not part of the benchmark, on average."""
    return float(cpu["processes"].get("rest of machine", 0.0)) / (cpu["wall_s"] or 1.0)


def cpu_wait_pct(cpu: dict[str, Any]) -> float:
    """Share of the time the commands worker's event loop was runnable but had no CPU."""
    return 100 * float(cpu["run_queue_wait_s"].get("commands worker", 0.0)) / (cpu["wall_s"] or 1.0)


def cpu_line(cpu: dict[str, Any], n: int) -> str:
    """CPU microseconds per command of each process over the timed window."""
    procs: dict[str, float] = cpu["processes"]
    parts = [f"{k} {v / n * 1e6:,.0f}" for k, v in procs.items() if v > 0]
    threads: dict[str, float] = cpu["threads"]
    main = threads.get("main", 0.0)
    return (
        f"CPU us/command: {', '.join(parts)} (worker event loop {main / n * 1e6:,.0f}); "
        + contention(cpu)
    )


def contention(cpu: dict[str, Any]) -> str:
    """How busy the machine was, and how long the worker's event loop waited for a CPU."""
    wall = cpu["wall_s"] or 1.0
    return (
        f"machine busy {cpu['machine_s'] / wall:.2f} of {os.cpu_count()} cores, other load "
        f"{other_load(cpu):.2f} cores; worker event loop waited for a CPU "
        f"{cpu_wait_pct(cpu):.0f} % of the time"
    )
