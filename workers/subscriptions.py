"""The service's own subscriptions (Pulsar reserves each to the service role)."""

COMMANDS = "alpes-campanas"  # command worker, on every command topic
PROJECTOR = "alpes-projector"  # projector, on the v2 event stream
NOTIFICATIONS = "alpes-notificaciones"  # notifications, on the v2 event stream
# Operators read the DLQs through it (`alpes dlq`); the workers make it on a DLQ before
# parking the first message there, so nothing parked is trimmed before anyone looks.
DEAD_LETTER_ADMIN = "alpes-dlq-admin"
