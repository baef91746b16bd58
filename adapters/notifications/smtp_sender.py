"""E-mail through an SMTP server, with the standard library's smtplib in a thread."""

import asyncio
import logging
import re
import smtplib
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from application.notifications import Notification, NotificationSendError

log = logging.getLogger("alpes.notifications")

_NOT_IN_DOT_ATOM = re.compile(r"[^A-Za-z0-9_-]+")


class SmtpSender:
    """Sends each notification as one e-mail, over a new SMTP connection per message.

    With ``user`` and ``password`` it upgrades the connection with STARTTLS (verifying the
    server's certificate) before it logs in, and refuses to log in where the server
    offers no STARTTLS: credentials never travel in clear. The ``Message-ID`` is derived
    from the event id, so a notification sent again is recognisable as the same one.
    The password appears in no ``repr``, log line or error message.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        sender: str,
        recipients: Sequence[str],
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        max_connections: int = 4,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if not recipients:
            msg = "SmtpSender needs at least one recipient; got none."
            raise ValueError(msg)
        if (user is None) != (password is None):
            given = "user" if user is not None else "password"
            msg = f"SmtpSender got an SMTP {given} alone; give both user and password, or neither."
            raise ValueError(msg)
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = tuple(recipients)
        self.user = user
        self._password = password
        self._timeout = timeout
        self._tls_context = tls_context
        self._connections = asyncio.Semaphore(max_connections)
        self._domain = _domain_of(sender)

    def __repr__(self) -> str:
        password = "'***'" if self._password is not None else "None"
        return (
            f"SmtpSender(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"recipients={list(self.recipients)!r}, user={self.user!r}, password={password})"
        )

    def compose(self, notification: Notification) -> EmailMessage:
        """The e-mail for ``notification``."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Subject"] = notification.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = self.message_id(notification.event_id)
        message["X-Alpes-Event-Id"] = notification.event_id
        message["X-Alpes-Event-Type"] = notification.event_type
        message.set_content(notification.text)
        return message

    def message_id(self, event_id: str) -> str:
        """``<event-id.notification@sender-domain>``: the same for every send of an event."""
        local = _NOT_IN_DOT_ATOM.sub("-", event_id).strip("-") or "event"
        return f"<{local}.notification@{self._domain}>"

    async def send(self, notification: Notification) -> None:
        message = self.compose(notification)
        async with self._connections:
            try:
                refused = await asyncio.to_thread(self._deliver, message)
            except (smtplib.SMTPException, OSError) as e:
                msg = (
                    f"Could not send notification {notification.event_id} by SMTP through "
                    f"{self.host}:{self.port}: {type(e).__name__}: {e}"
                )
                raise NotificationSendError(msg) from e
        if refused:
            # Not raised: a retry would send the accepted recipients a second copy.
            log.warning(
                "SMTP %s:%s refused notification %s for %s",
                self.host,
                self.port,
                notification.event_id,
                ", ".join(sorted(refused)),
            )

    def _deliver(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(self.host, self.port, timeout=self._timeout) as smtp:
            if self.user is not None and self._password is not None:
                # Raises SMTPNotSupportedError when the server offers no STARTTLS.
                smtp.starttls(context=self._tls_context or ssl.create_default_context())
                smtp.login(self.user, self._password)
            refused: dict[str, tuple[int, bytes]] = smtp.send_message(
                message, from_addr=self.sender, to_addrs=list(self.recipients)
            )
            return refused


def _domain_of(address: str) -> str:
    _, addr = parseaddr(address)
    domain = addr.rpartition("@")[2]
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain or "") else "alpes.localhost"
