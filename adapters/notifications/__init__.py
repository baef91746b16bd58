"""Telling people what happened: a notification, the port that sends it, and its senders
(a log / JSON-lines file by default, or e-mail over SMTP)."""

from .base import Notification, NotificationSender, NotificationSendError
from .log_sender import LogSender
from .smtp_sender import SmtpSender

__all__ = (
    "LogSender",
    "Notification",
    "NotificationSendError",
    "NotificationSender",
    "SmtpSender",
)
