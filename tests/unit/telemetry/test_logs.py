"""Log lines: text by default, JSON objects with ALPES_LOG_FORMAT=json."""

import json
import logging

import pytest

from adapters.telemetry.logs import TEXT_FORMAT, JsonFormatter, formatter, log_context


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("alpes.commands", logging.INFO, "f.py", 1, message, None, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_the_default_format_is_the_text_line_it_always_was() -> None:
    assert TEXT_FORMAT == "%(asctime)s %(levelname)s %(name)s: %(message)s"
    chosen = formatter("text")
    assert not isinstance(chosen, JsonFormatter)
    assert chosen._fmt == TEXT_FORMAT
    assert formatter("")._fmt == TEXT_FORMAT


def test_an_unknown_format_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"^ALPES_LOG_FORMAT is 'xml'; expected text or json$"):
        formatter("xml")


def test_a_json_line_has_time_level_logger_message_and_extra_fields() -> None:
    line = json.loads(JsonFormatter().format(record("crear-campana c1: applied", topic="t")))
    assert line["level"] == "INFO"
    assert line["logger"] == "alpes.commands"
    assert line["message"] == "crear-campana c1: applied"
    assert line["topic"] == "t"
    assert line["time"].endswith("+00:00")


def test_lines_inside_a_command_context_carry_its_ids() -> None:
    with log_context(command_id="c1", correlation_id="corr-1", campana_id="c-12345"):
        inside = json.loads(JsonFormatter().format(record("applied")))
    outside = json.loads(JsonFormatter().format(record("idle")))
    assert (inside["command_id"], inside["correlation_id"], inside["campana_id"]) == (
        "c1",
        "corr-1",
        "c-12345",
    )
    assert "command_id" not in outside


def test_an_exception_is_one_json_line_with_its_traceback() -> None:
    try:
        raise KeyError("boom")
    except KeyError:
        import sys

        failed = record("failed")
        failed.exc_info = sys.exc_info()
    text = JsonFormatter().format(failed)
    assert "\n" not in text
    assert "KeyError: 'boom'" in json.loads(text)["exception"]
