"""Rows whose key is one of many: the lookup a batch does for its commands and campaigns.

On PostgreSQL a long ``IN (...)`` list, prepared once and then run with a generic plan,
can get a sequential scan that compares every row with every key: 18 ms per batch of 256
on a 20,000-row command_log, growing with the table. A join with ``unnest(keys)`` is an
index lookup per key whatever the plan. SQLite looks IN lists up by index anyway.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Select, Update

Statement = TypeVar("Statement", Select[Any], Update)


def where_one_of(
    statement: Statement, column: ColumnElement[Any], keys: Sequence[Any], dialect: str
) -> Statement:
    """``statement`` restricted to rows whose ``column`` is in ``keys``."""
    if dialect != "postgresql":
        return statement.where(column.in_(keys))
    wanted = (
        func.unnest(bindparam(None, value=list(keys), type_=ARRAY(column.type)))
        .table_valued("key")
        .render_derived(name="wanted")
    )
    return statement.where(column == wanted.c.key)
