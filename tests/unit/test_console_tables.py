"""How the operators' commands read --since and write times and durations."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from rich.text import Text

from console.tables import ago, parse_since, short_topic, show, table, when

NOW = datetime(2026, 12, 6, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("0.5h", timedelta(minutes=30)),
        (" 15m ", timedelta(minutes=15)),
    ],
)
def test_a_duration_is_that_long_before_now(text: str, back: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - back


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-12-06T09:00:00Z", datetime(2026, 12, 6, 9, tzinfo=UTC)),
        ("2026-12-06T10:00:00+02:00", datetime(2026, 12, 6, 8, tzinfo=UTC)),
        ("2026-12-06T09:30", datetime(2026, 12, 6, 9, 30, tzinfo=UTC)),  # no offset: UTC
        ("2026-12-05", datetime(2026, 12, 5, tzinfo=UTC)),
    ],
)
def test_an_iso_time_is_taken_as_it_is_in_utc(text: str, moment: datetime) -> None:
    parsed = parse_since(text, NOW)
    assert parsed == moment
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "text", ["yesterday", "", "10", "10x", "m10", "1h 30m", "-5m", "2026-13-01"]
)
def test_anything_else_is_refused_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"neither a duration .* nor an ISO-8601 time") as error:
        parse_since(text, NOW)
    assert repr(text) in str(error.value)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "-"),
        (0, "0.0s"),
        (0.44, "0.4s"),
        (12.7, "12s"),
        (245, "4m05s"),
        (7380, "2h03m"),
        (3 * 86400 + 4 * 3600, "3d04h"),
    ],
)
def test_durations_are_short_for_people(seconds: float | None, shown: str) -> None:
    assert ago(seconds) == shown


def test_times_are_utc_to_the_millisecond() -> None:
    moment = datetime(2026, 12, 6, 11, 0, 1, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert when(moment) == "2026-12-06T10:00:01.123Z"
    assert when(None) == "-"
    assert when(None, missing="pending") == "pending"


def test_topics_are_shown_by_their_short_name_and_tables_have_headers() -> None:
    assert short_topic("persistent://public/default/alpes.campanas.eventos.v2") == (
        "alpes.campanas.eventos.v2"
    )
    grid = table("Outbox", "Pending rows", "Age")
    assert grid.show_header
    assert [c.header for c in grid.columns] == ["Pending rows", "Age"]


def test_text_that_looks_like_markup_is_printed_as_it_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    grid = table("Dead letters [/x]", "Body")
    grid.add_row("[/bold] [red]not json :smile:")
    show(grid)
    show(Text("trace [b]x[/b]"))

    out = capsys.readouterr().out
    assert "Dead letters [/x]" in out
    assert "[/bold] [red]not json :smile:" in out
    assert "trace [b]x[/b]" in out
    assert not any(line.endswith(" ") for line in out.splitlines())
