"""Tables. Write side: campaigns, outbox, command log, relay lease. Read side (fed only by
integration events): campaign view and the ids of projected events. Operations: the
worker processes' heartbeats."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite auto-increments only an INTEGER PRIMARY KEY.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("estado", String(16), nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    # The same event goes out once per contract version, each on its own topic.
    Column("event_id", String(64), nullable=False),
    Column("topic", String(255), nullable=False),
    Column("key", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("properties", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("event_id", "topic", name="uq_outbox_event_topic"),
)
Index(
    "ix_outbox_unpublished",
    outbox.c.seq,
    postgresql_where=outbox.c.published_at.is_(None),
    sqlite_where=outbox.c.published_at.is_(None),
)
# Retention deletes published rows by age.
Index(
    "ix_outbox_published_at",
    outbox.c.published_at,
    postgresql_where=outbox.c.published_at.is_not(None),
    sqlite_where=outbox.c.published_at.is_not(None),
)

command_log = Table(
    "command_log",
    metadata,
    Column("command_id", String(128), primary_key=True),
    Column("command_type", String(64), nullable=False),
    Column("campana_id", String(64), nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # applied | rejected
    Column("reason", String(64), nullable=True),
    Column("field", String(255), nullable=True),
    Column("message", Text, nullable=True),
    Column("event_ids", JSON, nullable=False),
    Column("correlation_id", String(128), nullable=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
Index("ix_command_log_processed_at", command_log.c.processed_at)  # retention, by age
# `alpes trace` and `alpes command list --correlation-id`. (--campaign has no index of
# its own: an index costs every command's insert, and operators' lookups are rare.)
Index("ix_command_log_correlation_id", command_log.c.correlation_id)

relay_lease = Table(
    "relay_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

campaign_view = Table(
    "campaign_view",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("nombre", String(200), nullable=False),
    Column("tipo", String(16), nullable=False),
    Column("estado", String(16), nullable=False),
    Column("fecha_inicio", DateTime(timezone=True), nullable=False),
    Column("fecha_fin", DateTime(timezone=True), nullable=False),
    Column("monto", String(64), nullable=False),  # decimal text: no float rounding
    Column("divisa", String(3), nullable=False),
    Column("marca_id", String(64), nullable=False),
    Column("participantes", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_campaign_view_marca", campaign_view.c.marca_id)
Index("ix_campaign_view_estado", campaign_view.c.estado)

projected_events = Table(
    "projected_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("projected_at", DateTime(timezone=True), nullable=False),
)

# One row per running worker process (or `alpes dev`), renewed every few seconds.
worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("id", String(128), primary_key=True),  # host:pid:random, unique per process
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("roles", String(255), nullable=False),  # the workers it runs, comma-separated
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)
Index("ix_worker_heartbeats_last_seen", worker_heartbeats.c.last_seen)
Index("ix_projected_events_projected_at", projected_events.c.projected_at)  # retention
