"""Telling people what happened: the senders of ``application.notifications``'s port (a
log / JSON-lines file by default, or e-mail over SMTP)."""

from .log_sender import LogSender
from .smtp_sender import SmtpSender

__all__ = ("LogSender", "SmtpSender")
