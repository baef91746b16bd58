"""Versioned wire contracts: what producers and consumers outside this service rely on."""
