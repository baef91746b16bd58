"""Failures the ports raise and the use cases handle: the adapters translate their own
errors into these."""


class ConcurrencyError(RuntimeError):
    """Someone else changed the campaign (or created it) since it was read: retry."""


class BatchConflict(RuntimeError):
    """Another writer changed a row of this batch since it was read: apply its items one
    by one."""
