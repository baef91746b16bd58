"""Reading a worker's operations endpoint as Prometheus and a probe would."""

import asyncio
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

_ENDPOINT = re.compile(r"operations endpoint on (http://[0-9.]+:[0-9]+)")


def endpoint_of(log: Path) -> str | None:
    """The endpoint's URL, from the line a worker logs once it serves (None before)."""
    found = _ENDPOINT.search(log.read_text(errors="replace"))
    return found.group(1) if found else None


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())


def scrape(base: str) -> Samples:
    """Every sample of ``/metrics``, by name and labels."""
    status, body = get(f"{base}/metrics")
    assert status == 200, body
    samples: Samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str) -> float:
    """The sum over every series of ``name``."""
    return sum(v for (n, _), v in samples.items() if n == name)


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


async def readiness(base: str) -> tuple[int, dict[str, object]]:
    status, body = await asyncio.to_thread(get, f"{base}/readyz")
    found: dict[str, object] = json.loads(body)
    return status, found
