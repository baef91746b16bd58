"""Remembers why a handler failed, so that a dead-lettered copy can say it."""

from types import TracebackType
from typing import Any

from faststream._internal.middlewares import BaseMiddleware
from faststream.exceptions import HandlerException

from .delivery import Delivery


class FailureCapture(BaseMiddleware[Any, Any]):
    """Innermost of the broker's middlewares: it sees the handler's exception before the
    acknowledgement middleware settles the message."""

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if (
            isinstance(self.msg, Delivery)
            and exc_val is not None
            and not isinstance(exc_val, HandlerException)
        ):
            self.msg.failure = exc_val
        return False
