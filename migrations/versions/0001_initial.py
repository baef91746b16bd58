"""The first schema: campaigns, outbox, command log, relay lease, read store.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("estado", sa.String(16), nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("published_at", _TS, nullable=True),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "command_log",
        sa.Column("command_id", sa.String(128), primary_key=True),
        sa.Column("command_type", sa.String(64), nullable=False),
        sa.Column("campana_id", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("field", sa.String(255), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("event_ids", sa.JSON, nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("processed_at", _TS, nullable=False),
    )
    op.create_table(
        "relay_lease",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_table(
        "campaign_view",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("nombre", sa.String(200), nullable=False),
        sa.Column("tipo", sa.String(16), nullable=False),
        sa.Column("estado", sa.String(16), nullable=False),
        sa.Column("fecha_inicio", _TS, nullable=False),
        sa.Column("fecha_fin", _TS, nullable=False),
        sa.Column("monto", sa.String(64), nullable=False),
        sa.Column("divisa", sa.String(3), nullable=False),
        sa.Column("marca_id", sa.String(64), nullable=False),
        sa.Column("participantes", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_campaign_view_marca", "campaign_view", ["marca_id"])
    op.create_index("ix_campaign_view_estado", "campaign_view", ["estado"])
    op.create_table(
        "projected_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("projected_at", _TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "projected_events",
        "campaign_view",
        "relay_lease",
        "command_log",
        "outbox",
        "campaigns",
    ):
        op.drop_table(table)
