"""Message properties of the contract: metadata travels here, never in the body."""

# On commands (all optional on input).
COMMAND_ID = "command_id"  # idempotency key; derived from the message when absent
CORRELATION_ID = "correlation_id"  # copied onto everything the command causes
CAUSATION_ID = "causation_id"  # the id of the message that caused this one

# On events, in addition to the three above.
EVENT_ID = "event_id"  # stable across redeliveries and relays: deduplicate on it
EVENT_TYPE = "event_type"  # e.g. "campana-creada"
OCCURRED_AT = "occurred_at"  # ISO-8601 UTC, when the command was applied
SCHEMA_VERSION = "schema_version"  # "1" for v1 topics
AGGREGATE_VERSION = "aggregate_version"  # the campaign's version after this event
