"""The retention policy refuses what cannot mean anything."""

from datetime import timedelta

import pytest

from application.retention import Retention


@pytest.mark.parametrize(
    "bad",
    [
        {"batch_size": 0},
        {"interval": 0},
        {"outbox": timedelta(days=-1)},
        {"command_log": timedelta(seconds=-1)},
    ],
)
def test_a_retention_that_cannot_work_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        Retention(**bad)  # type: ignore[arg-type]


def test_the_relay_purges_as_often_as_alpes_retention_interval_says() -> None:
    from workers.bootstrap import build
    from workers.settings import Settings

    for value, seconds in ((None, 60.0), ("15s", 15.0), ("2m", 120.0)):
        given = {} if value is None else {"retention_interval": value}
        settings = Settings(_env_file=None, **given)  # type: ignore[call-arg]
        runtime = build(settings, "pulsar://127.0.0.1:1", ["relay"])
        assert runtime.retention is not None
        assert runtime.retention._retention.interval == seconds


@pytest.mark.parametrize("value", ["off", "0", "-5s"])
def test_a_retention_interval_of_nothing_is_refused(value: str) -> None:
    from pydantic import ValidationError

    from workers.settings import Settings

    with pytest.raises(ValidationError, match="retention_interval"):
        Settings(_env_file=None, retention_interval=value)  # type: ignore[call-arg]
