"""The embedded default: where `alpes dev` leaves its broker's URL for other `alpes` commands."""

import socket
from pathlib import Path
from urllib.parse import urlsplit

from .settings import Settings


def url_file(settings: Settings) -> Path:
    return settings.data_dir / "pulsar-lite" / "url"


def embedded_dir(settings: Settings) -> Path:
    return settings.data_dir / "pulsar-lite"


def write_embedded_url(settings: Settings, url: str) -> None:
    path = url_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url)


def resolve_pulsar(settings: Settings) -> tuple[str, bool]:
    """(url, is_embedded): ALPES_PULSAR_URL, else the running `alpes dev` broker."""
    if settings.pulsar_url:
        return settings.pulsar_url, settings.pulsar_flavor == "lite"
    path = url_file(settings)
    if path.exists():
        url = path.read_text().strip()
        if _listening(url):
            return url, True
    msg = (
        "No Pulsar broker: set ALPES_PULSAR_URL, or start `alpes dev` in another terminal "
        f"(it runs the embedded broker and records its URL in {path})."
    )
    raise LookupError(msg)


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 6650), timeout=0.5):
            return True
    except OSError:
        return False
