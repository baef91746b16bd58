from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from faststream._internal.constants import EMPTY
from faststream.middlewares import AckPolicy

from .broker.config import PulsarBrokerConfig
from .broker.registrator import PulsarRegistrator

if TYPE_CHECKING:
    from fast_depends.dependencies import Dependant
    from faststream._internal.types import BrokerMiddleware, CustomCallable


class PulsarRouter(PulsarRegistrator):
    """Groups subscribers and publishers; ``broker.include_router(router)`` adds them."""

    def __init__(
        self,
        prefix: str = "",
        *,
        dependencies: Sequence["Dependant"] = (),
        middlewares: Sequence["BrokerMiddleware[Any, Any]"] = (),
        routers: Iterable[PulsarRegistrator] = (),
        parser: "CustomCallable | None" = None,
        decoder: "CustomCallable | None" = None,
        ack_policy: AckPolicy = EMPTY,
        include_in_schema: bool | None = None,
    ) -> None:
        super().__init__(
            config=PulsarBrokerConfig(
                broker_middlewares=middlewares,
                broker_dependencies=dependencies,
                broker_parser=parser,
                broker_decoder=decoder,
                ack_policy=ack_policy,
                prefix=prefix,
                include_in_schema=include_in_schema,
            ),
            routers=routers,
        )
