"""Message properties of the contract: metadata travels here, never in the body."""

# On commands (all optional on input, but for command_type on the v2 stream).
COMMAND_ID = "command_id"  # idempotency key; derived from the message when absent
CORRELATION_ID = "correlation_id"  # copied onto everything the command causes
CAUSATION_ID = "causation_id"  # the id of the message that caused this one
COMMAND_TYPE = "command_type"  # v2: which command the body is, e.g. "crear-campana"
EXPECTED_VERSION = "expected_version"  # v2: the campaign version the producer last saw

# On events, in addition to command_id, correlation_id and causation_id.
EVENT_ID = "event_id"  # stable across redeliveries, relays and versions: deduplicate on it
EVENT_TYPE = "event_type"  # e.g. "campana-creada"
OCCURRED_AT = "occurred_at"  # ISO-8601 UTC, when the command was applied
SCHEMA_VERSION = "schema_version"  # the contract version: "1" or "2"
AGGREGATE_VERSION = "aggregate_version"  # the campaign's version after this event

# W3C Trace Context, on both (optional): the trace a message belongs to, when traced.
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
