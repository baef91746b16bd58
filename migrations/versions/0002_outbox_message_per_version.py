"""An event is published once per contract version: the outbox holds one row per event
and topic, so event_id alone is no longer unique.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 declared event_id unique inline, so the constraint has no name of ours: PostgreSQL
# calls it outbox_event_id_key; on SQLite this convention names it for the batch copy.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "outbox", naming_convention=_SQLITE_NAMES if sqlite else None
    ) as batch:
        batch.drop_constraint(
            "uq_outbox_event_id" if sqlite else "outbox_event_id_key", type_="unique"
        )
        batch.create_unique_constraint("uq_outbox_event_topic", ["event_id", "topic"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_event_topic", type_="unique")
        batch.create_unique_constraint("outbox_event_id_key", ["event_id"])
