"""The default sender: a log line, and a JSON line appended to a file."""

import asyncio
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from application.notifications import Notification, NotificationSendError

LOGGER = "alpes.notifications"


class LogSender:
    """Logs each notification through ``alpes.notifications`` and, given ``path``, appends
    it to that file as one JSON line (UTF-8, the ``Notification`` fields plus ``sent_at``).

    Each line is written with one ``write`` and fsynced before ``send`` returns, so a
    notification whose send returned survives a crash. Concurrent sends are serialised by
    a lock (lines never interleave) and the file work runs in a thread, off the event loop.
    """

    def __init__(self, path: Path | None = None, *, logger: logging.Logger | None = None) -> None:
        self.path = path
        self._log = logger or logging.getLogger(LOGGER)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"LogSender(path={str(self.path) if self.path else None!r})"

    async def send(self, notification: Notification) -> None:
        record = notification.as_json() | {"sent_at": datetime.now(UTC).isoformat()}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if self.path is not None:
            async with self._lock:
                try:
                    await asyncio.to_thread(_append, self.path, line.encode())
                except OSError as e:
                    msg = (
                        f"Could not append notification {notification.event_id} to "
                        f"{self.path}: {e}. Check that the folder is writable."
                    )
                    raise NotificationSendError(msg) from e
        self._log.info(
            "%s %s: %s",
            notification.event_type,
            notification.event_id,
            notification.subject,
            extra={"notification": record},
        )


def _append(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
