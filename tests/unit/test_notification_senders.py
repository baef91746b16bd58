"""The notification senders against real things: a temporary file, and an SMTP server
listening on loopback (a few lines of asyncio below, enough of RFC 5321 for smtplib)."""

import asyncio
import email
import email.policy
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pydantic
import pytest
from pydantic import SecretStr

from adapters.embedded_pulsar import free_port
from adapters.notifications import LogSender, SmtpSender
from application.notifications import Notification, NotificationSendError
from workers.bootstrap import build_sender
from workers.settings import Settings


def notification(event_id: str = "ev-1", campana_id: str | None = "c-12345") -> Notification:
    return Notification(
        event_id=event_id,
        event_type="campana-creada",
        campana_id=campana_id,
        subject=f"Campaña {campana_id} creada: Campaña Moda Primavera 2025 (Influencer)",
        text="Campaña creada.\nMarca: b-12345\n.línea que empieza con punto\n",
        occurred_at=datetime(2026, 11, 28, 8, 0, 1, tzinfo=UTC),
    )


def files_in(folder: Path) -> list[Path]:
    return list(folder.iterdir())


# -- LogSender ---------------------------------------------------------------------------


async def test_the_log_sender_appends_one_json_line_per_notification_with_every_field(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sub" / "notifications.jsonl"
    sender = LogSender(path)

    await sender.send(notification("ev-1"))
    await sender.send(notification("ev-2", campana_id=None))

    first, second = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    assert {k: v for k, v in first.items() if k != "sent_at"} == {
        "event_id": "ev-1",
        "event_type": "campana-creada",
        "campana_id": "c-12345",
        "subject": "Campaña c-12345 creada: Campaña Moda Primavera 2025 (Influencer)",
        "text": "Campaña creada.\nMarca: b-12345\n.línea que empieza con punto\n",
        "occurred_at": "2026-11-28T08:00:01+00:00",
    }
    assert datetime.fromisoformat(first["sent_at"]).tzinfo is not None
    assert (second["event_id"], second["campana_id"]) == ("ev-2", None)
    assert "Campaña" in path.read_text("utf-8")  # UTF-8, not \u escapes


async def test_concurrent_sends_write_whole_lines_that_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "notifications.jsonl"
    sender = LogSender(path)

    await asyncio.gather(*(sender.send(notification(f"ev-{i}")) for i in range(200)))

    lines = path.read_text("utf-8").splitlines()
    assert sorted(json.loads(line)["event_id"] for line in lines) == sorted(
        f"ev-{i}" for i in range(200)
    )


async def test_the_log_sender_logs_each_notification_and_writes_no_file_without_a_path(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with caplog.at_level(logging.INFO, logger="alpes.notifications"):
        await LogSender().send(notification("ev-9"))

    [record] = [r for r in caplog.records if r.name == "alpes.notifications"]
    assert "ev-9" in record.getMessage()
    assert "Campaña c-12345 creada" in record.getMessage()
    assert files_in(tmp_path) == []


async def test_a_file_that_cannot_be_written_fails_the_send_naming_the_file(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    sender = LogSender(blocker / "notifications.jsonl")

    with pytest.raises(NotificationSendError, match=r"ev-1 to .*not-a-folder"):
        await sender.send(notification("ev-1"))


# -- SmtpSender --------------------------------------------------------------------------


@dataclass
class SmtpServer:
    """Accepts every message; records each command and each message's bytes."""

    port: int = 0
    commands: list[str] = field(default_factory=list)
    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(data, policy=email.policy.default)
            for _, _, data in self.envelopes
        ]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mail_from, rcpt_to = "", list[str]()

        async def reply(*lines: str) -> None:
            writer.write("".join(f"{line}\r\n" for line in lines).encode())
            await writer.drain()

        await reply("220 test ESMTP")
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            self.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                await reply("250-test", "250-8BITMIME", "250 OK")  # no STARTTLS offered
            elif verb == "MAIL":
                mail_from, rcpt_to = line.partition(":")[2].strip("<> "), []
                await reply("250 OK")
            elif verb == "RCPT":
                rcpt_to.append(line.partition(":")[2].strip("<> "))
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b".") else chunk
                self.envelopes.append((mail_from, rcpt_to, bytes(data)))
                await reply("250 queued")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            elif verb in {"RSET", "NOOP"}:
                await reply("250 OK")
            else:
                await reply("502 not implemented")
        writer.close()


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    server = SmtpServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield server


def smtp_sender(server: SmtpServer, **kwargs: object) -> SmtpSender:
    return SmtpSender(
        host="127.0.0.1",
        port=server.port,
        sender="Alpes <alpes@notify.example>",
        recipients=["ops@example.com", "marca@example.com"],
        timeout=5,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_the_smtp_sender_delivers_subject_recipients_message_id_and_body(
    smtp_server: SmtpServer,
) -> None:
    await smtp_sender(smtp_server).send(notification("4f9d2c1e-ev"))

    [(mail_from, rcpt_to, _)] = smtp_server.envelopes
    assert mail_from == "alpes@notify.example"
    assert rcpt_to == ["ops@example.com", "marca@example.com"]
    [message] = smtp_server.messages()
    assert message["Subject"] == (
        "Campaña c-12345 creada: Campaña Moda Primavera 2025 (Influencer)"
    )
    assert message["To"] == "ops@example.com, marca@example.com"
    assert message["From"] == "Alpes <alpes@notify.example>"
    assert message["Message-ID"] == "<4f9d2c1e-ev.notification@notify.example>"
    assert message["X-Alpes-Event-Id"] == "4f9d2c1e-ev"
    # On the wire lines end in CRLF, and the line starting with "." was dot-stuffed.
    assert message.get_content().replace("\r\n", "\n") == notification().text


async def test_a_notification_sent_again_carries_the_same_message_id(
    smtp_server: SmtpServer,
) -> None:
    sender = smtp_sender(smtp_server)

    await sender.send(notification("ev-1"))
    await sender.send(notification("ev-1"))
    await sender.send(notification("ev-2"))

    ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert ids[0] == ids[1] != ids[2]


async def test_credentials_are_never_sent_to_a_server_that_offers_no_starttls(
    smtp_server: SmtpServer,
) -> None:
    sender = smtp_sender(smtp_server, user="alpes", password="s3cret-pw")

    with pytest.raises(NotificationSendError, match="STARTTLS") as failure:
        await sender.send(notification())

    assert not any(c.upper().startswith(("AUTH", "MAIL")) for c in smtp_server.commands)
    assert smtp_server.envelopes == []
    assert "s3cret-pw" not in str(failure.value)
    assert "s3cret-pw" not in repr(sender)


async def test_an_unreachable_smtp_server_fails_the_send_naming_host_and_port() -> None:
    port = free_port()
    sender = SmtpSender(
        host="127.0.0.1", port=port, sender="alpes@localhost", recipients=["ops@localhost"]
    )

    with pytest.raises(NotificationSendError, match=f"ev-1 by SMTP through 127.0.0.1:{port}"):
        await sender.send(notification("ev-1"))


def test_a_user_without_a_password_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="give both user and password"):
        SmtpSender(host="h", sender="a@b", recipients=["c@d"], user="alpes")


# -- build_sender ------------------------------------------------------------------------


def test_the_default_sender_is_the_log_sender_writing_the_configured_file(
    tmp_path: Path,
) -> None:
    sender = build_sender(Settings(notification_file=tmp_path / "n.jsonl"))
    assert isinstance(sender, LogSender)
    assert sender.path == tmp_path / "n.jsonl"


def test_without_a_configured_file_the_log_sender_writes_into_the_data_folder(
    tmp_path: Path,
) -> None:
    sender = build_sender(Settings(data_dir=tmp_path))
    assert isinstance(sender, LogSender)
    assert sender.path == tmp_path / "notifications.jsonl"


def test_the_smtp_sender_is_built_from_the_smtp_settings() -> None:
    settings = Settings(
        notification_sender="smtp",
        smtp_host="mail.example",
        smtp_port=587,
        smtp_user="alpes",
        smtp_password=SecretStr("s3cret-pw"),
        smtp_from="alpes@example.com",
        smtp_to="ops@example.com, marca@example.com",
    )
    sender = build_sender(settings)
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.user) == ("mail.example", 587, "alpes")
    assert sender.recipients == ("ops@example.com", "marca@example.com")
    assert "s3cret-pw" not in repr(sender)


def test_an_unknown_sender_name_is_refused_when_the_settings_are_read() -> None:
    # Refused before any worker starts, naming the setting and the choices.
    with pytest.raises(pydantic.ValidationError, match="notification_sender") as refused:
        Settings(notification_sender="pigeon")
    assert "'log' or 'smtp'" in str(refused.value)
