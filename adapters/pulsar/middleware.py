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
        explicit = False
        if isinstance(exc_val, HandlerException):
            # NackMessage / RejectMessage raised `from` the reason: the reason is the failure.
            explicit, exc_val = True, exc_val.__cause__
        if exc_val is None:
            return False
        if isinstance(self.msg, Delivery):
            self.msg.record_failure(exc_val)
        elif isinstance(self.msg, DeliveryBatch):
            if explicit:
                # The handler settled the batch on purpose: each message gets the
                # reason, and the batch is not split to find a culprit.
                for delivery in self.msg.unsettled():
                    delivery.record_failure(exc_val)
            else:
                self.msg.fail(exc_val)
        return False
