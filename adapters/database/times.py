"""Timestamps as the database hands them back."""

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    """Aware, in UTC. SQLite keeps no offset (it hands back naive UTC), so store UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
