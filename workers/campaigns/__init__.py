"""The campaign command side: decode a v1 command, apply it in a Unit of Work, emit events."""
