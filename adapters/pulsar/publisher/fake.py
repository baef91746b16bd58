from faststream._internal.endpoint.publisher.fake import FakePublisher
from faststream._internal.producer import ProducerProto
from faststream.response.response import PublishCommand

from ..response import PulsarPublishCommand


class PulsarFakePublisher(FakePublisher):
    """Publishes a handler's result to the topic in the message's ``reply_to``."""

    __slots__ = ("topic",)

    def __init__(self, producer: ProducerProto[PulsarPublishCommand], topic: str) -> None:
        super().__init__(producer=producer)
        self.topic = topic

    def patch_command(self, cmd: PublishCommand | PulsarPublishCommand) -> PulsarPublishCommand:
        cmd = super().patch_command(cmd)
        real_cmd = PulsarPublishCommand.from_cmd(cmd)
        real_cmd.destination = self.topic
        return real_cmd
