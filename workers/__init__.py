"""Worker processes: FastStream apps that consume Pulsar topics."""
