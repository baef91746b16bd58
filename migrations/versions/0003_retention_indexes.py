"""Indexes for retention: published outbox rows and command-log rows are deleted by age,
in small batches, oldest first.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_published_at",
        "outbox",
        ["published_at"],
        postgresql_where=sa.text("published_at IS NOT NULL"),
        sqlite_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_index("ix_command_log_processed_at", "command_log", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_command_log_processed_at", table_name="command_log")
    op.drop_index("ix_outbox_published_at", table_name="outbox")
