"""One configuration (a broker and a database) from start to end: its repeats, then the
soak and the profile if asked."""

from __future__ import annotations

import time

from bench.common import say

from .baselines import run_naive, run_raw_consume
from .observed import sampler
from .options import CONFIGS, Options
from .profile import run_profile
from .results import ConfigResult
from .servers import BrokerServer, DatabaseServer
from .soak import run_soak
from .throughput import run_pipeline


async def bench_config(name: str, opts: Options) -> ConfigResult:
    broker_kind, db_kind = CONFIGS[name]
    broker = BrokerServer(broker_kind, opts.apache_start_timeout)
    database = DatabaseServer(db_kind)
    result = ConfigResult(name, broker.name, database.name, opts.commands, opts.naive_commands)
    say(
        f"\n== {name}: {broker.name} + {database.name}; {opts.commands} commands per pipeline "
        f"run, {opts.naive_commands} naive, {opts.repeats} repeats"
    )
    reason = broker.unavailable() or database.unavailable()
    if reason:
        result.notes.append(f"{name}: SKIPPED: {reason}")
        say(result.notes[-1])
        return result
    started = time.monotonic()
    result.sampler = sampler(opts.worker_env) if opts.observed else ""
    try:
        await database.start()
        for repeat in range(opts.repeats):
            broker.fresh()
            for phase in phase_order(repeat, opts.observed):
                if phase == "pipeline":
                    await run_pipeline(broker, database, opts, result, repeat)
                elif phase == "pipeline-v2":
                    await run_pipeline(broker, database, opts, result, repeat, contract=2)
                elif phase == "pipeline-v2-observed":
                    await run_pipeline(
                        broker, database, opts, result, repeat, contract=2, observed=True
                    )
                else:
                    await run_naive(broker, database, opts, result, repeat)
            await run_raw_consume(broker, opts, result, repeat)
        if opts.soak_seconds > 0:
            await run_soak(broker, database, opts, result)
        if opts.profile:
            await run_profile(broker, database, opts, result)
    except Exception as e:  # report it and go on with the other configuration
        result.failed = True
        result.notes.append(f"{name}: FAILED: {type(e).__name__}: {e}")
        say(result.notes[-1])
    finally:
        broker.close()
        database.close()
    say(f"  ({name} done in {time.monotonic() - started:.0f} s)")
    return result


def phase_order(repeat: int, observed: bool) -> list[str]:
    """The runs of a repeat. The baselines and the v2 runs alternate around the v1 run,
    so no phase always gets the quieter (or busier) moment of the repeat; the plain and
    the observed v2 runs are neighbours, each first every other repeat."""
    phases = ["pipeline", "pipeline-v2", *(["pipeline-v2-observed"] if observed else []), "naive"]
    return phases if repeat % 2 == 0 else phases[::-1]
