"""Adapters: the ports of the service made real (Pulsar, the database, notification senders)."""
