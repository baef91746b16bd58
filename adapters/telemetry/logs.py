"""Log lines as JSON objects (ALPES_LOG_FORMAT=json), and the context that ties a line to
the command it is about.

The command worker sets ``log_context`` around each command it settles; every line logged
meanwhile, by any logger, carries the command's ``command_id``, ``correlation_id`` and
``campana_id`` (and ``trace_id``/``span_id`` when tracing is on). Fields given with
``extra=`` are kept too.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_context: ContextVar[Mapping[str, str | None]] = ContextVar(
    "alpes_log_context", default=MappingProxyType({})
)
_structured = False  # JSON lines configured: worth setting the context

# Attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Lines logged inside the block carry ``fields`` (JSON format)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context's and the
    ``extra=`` fields, and the exception's traceback as text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _context.get().items():
            if value is not None:
                line[key] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def structured() -> bool:
    """True once ``configure`` installed JSON lines: only then does context pay."""
    return _structured


def configure(level: int, format_name: str) -> None:
    """The root logger's handler (stderr) with the format ALPES_LOG_FORMAT names; as
    ``logging.basicConfig``, nothing changes when the root logger already has one."""
    global _structured
    chosen = formatter(format_name)
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(chosen)
    logging.basicConfig(level=level, handlers=[handler])
    _structured = isinstance(chosen, JsonFormatter)
    if _structured:
        logging.captureWarnings(True)  # a warning is a line too: one JSON object


def line(message: str, *, logger: str = "alpes", level: int = logging.INFO) -> str:
    """``message`` as the configured format writes a log line (for announcements printed
    whatever the log level)."""
    if not _structured:
        return message
    record = logging.LogRecord(logger, level, "", 0, message, None, None)
    return JsonFormatter().format(record)


def formatter(name: str) -> logging.Formatter:
    """The formatter ALPES_LOG_FORMAT names; ValueError naming the variable otherwise."""
    kind = name.strip().lower()
    if kind == "json":
        return JsonFormatter()
    if kind in ("", "text"):
        return logging.Formatter(TEXT_FORMAT)
    msg = f"ALPES_LOG_FORMAT is {name!r}; expected text or json"
    raise ValueError(msg)
