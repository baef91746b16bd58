"""Tables for people keep every cell whole, however long."""

import pytest

from console.tables import print_table


def test_a_table_never_cuts_or_wraps_a_cell(capsys: pytest.CaptureFixture[str]) -> None:
    long = "persistent://public/default/" + "x" * 150
    rows = [(long, "(10,0,-1,-1)", None, "y" * 90), ("short", "(1,2,-1,-1)", "z", "")]

    print_table(("topic", "message id", "reason", "body"), rows)

    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines() if line.strip()]
    assert lines[0] == ["topic", "message", "id", "reason", "body"]
    assert [long, "(10,0,-1,-1)", "y" * 90] in lines
    assert ["short", "(1,2,-1,-1)", "z"] in lines
    assert "…" not in out
