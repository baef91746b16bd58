"""The application core: the use cases of the campaign service, behind ports.

Command handling (translation at the edge, the Unit of Work, batching, retries), the
outbox relay, the projection rules and the notification rules. It imports only the
domain, the contracts, the standard library and pydantic; adapters implement its ports
(``application.ports``) and the composition root (``workers.bootstrap``) wires them.
"""
