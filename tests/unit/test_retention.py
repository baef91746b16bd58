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
