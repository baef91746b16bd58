"""An index for retention of the projector's records of applied events: they are
deleted by age, in small batches, oldest first, with the outbox's retention.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_projected_events_projected_at", "projected_events", ["projected_at"])


def downgrade() -> None:
    op.drop_index("ix_projected_events_projected_at", table_name="projected_events")
