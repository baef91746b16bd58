"""list, show, redrive and purge: what `alpes dlq` runs."""

from collections.abc import Callable, Iterable, Sequence

from adapters.pulsar import PulsarSecurity

from .box import DeadLetterBox
from .letters import DeadLetter, Listing, NothingMatched, Redriven, redrive_properties, select
from .topics import DEAD_LETTER_TOPICS, DeadLetterTopic


async def list_dead_letters(
    url: str,
    *,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
    connect_timeout: float = 10.0,
) -> Listing:
    """What is in the DLQ topics; everything stays there. A broker that cannot be reached
    within ``connect_timeout`` seconds raises BrokerUnavailableError."""
    async with DeadLetterBox(
        url,
        topics=topics,
        security=security,
        receive_timeout=receive_timeout,
        connect_timeout=connect_timeout,
    ) as box:
        letters = await box.collect()
        return Listing(letters, list(topics), list(box.missing_topics))


async def find_dead_letters(
    url: str,
    message_id: str,
    *,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
) -> list[DeadLetter]:
    """The dead letters with this id (one, unless two DLQ topics reuse an id); raises
    NothingMatched when there is none. Everything stays there."""
    listing = await list_dead_letters(
        url, security=security, topics=topics, receive_timeout=receive_timeout
    )
    found = [letter for letter in listing.letters if letter.message_id == message_id]
    if not found:
        msg = f"no dead letter with id {message_id}"
        raise NothingMatched(msg)
    return found


async def redrive(
    url: str,
    *,
    ids: Iterable[str] = (),
    everything: bool = False,
    dry_run: bool = False,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
    on_each: Callable[[Redriven], None] | None = None,
) -> list[Redriven]:
    """Send each selected dead letter back to its real topic, then acknowledge it.

    One at a time, in DLQ order: the copy is stored first (a failed send raises
    PublishError and leaves that message and the rest in the DLQ), then the dead letter
    is acknowledged. A crash between the two duplicates the message, never loses it.
    ``on_each`` hears of each one as it is done, so a failure half-way is easy to follow.
    """
    wanted = list(dict.fromkeys(ids))
    async with DeadLetterBox(
        url, topics=topics, security=security, receive_timeout=receive_timeout
    ) as box:
        chosen = select(await box.collect(), wanted, everything)
        done: list[Redriven] = []
        for letter in chosen:
            properties = redrive_properties(letter)
            new_id = None
            if not dry_run:
                new_id = await box.send(letter, letter.real_topic, properties)
                await box.acknowledge(letter)
            done.append(Redriven(letter, letter.real_topic, properties, new_id))
            if on_each is not None:
                on_each(done[-1])
        return done


async def purge(
    url: str,
    *,
    ids: Iterable[str] = (),
    everything: bool = False,
    dry_run: bool = False,
    security: PulsarSecurity | None = None,
    topics: Sequence[DeadLetterTopic] = DEAD_LETTER_TOPICS,
    receive_timeout: float = 1.0,
) -> list[DeadLetter]:
    """Drop the selected dead letters (acknowledge them on the admin subscription)."""
    wanted = list(dict.fromkeys(ids))
    async with DeadLetterBox(
        url, topics=topics, security=security, receive_timeout=receive_timeout
    ) as box:
        chosen = select(await box.collect(), wanted, everything)
        if not dry_run:
            for letter in chosen:
                await box.acknowledge(letter)
        return chosen
