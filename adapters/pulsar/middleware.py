"""Remembers why a handler failed, so that a dead-lettered copy can say it."""

from types import TracebackType
from typing import Any

from faststream._internal.middlewares import BaseMiddleware
from faststream.exceptions import HandlerException

from .delivery import Delivery, DeliveryBatch


class FailureCapture(BaseMiddleware[Any, Any]):
    """Innermost of the broker's middlewares: it sees the handler's exception before the
    acknowledgement middleware settles the message."""

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if isinstance(exc_val, HandlerException):
            # RejectMessage / NackMessage raised `from` the reason: the reason is the failure.
            exc_val = exc_val.__cause__
        if exc_val is None:
            return False
        if isinstance(self.msg, Delivery):
            self.msg.failure = exc_val
        elif isinstance(self.msg, DeliveryBatch):
            self.msg.fail(exc_val)
        return False
