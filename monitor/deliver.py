"""Digest delivery by e-mail: multipart text + HTML over SMTP, retried, with correct UTF-8 headers."""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


class DeliveryError(RuntimeError):
    """The digest could not be sent after every attempt; the message says why."""


@dataclass
class SmtpConfig:
    host: str
    port: int = 587
    sender: str = "monitor@localhost"
    recipients: list[str] = field(default_factory=list)
    user: str = ""
    password: str = ""
    security: str = "starttls"  # starttls | ssl | none
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpConfig | None:
        """From MONITOR_SMTP_HOST, _PORT, _FROM, _TO (comma-separated), _USER, _PASSWORD, _SECURITY."""
        e = os.environ if env is None else env
        host = e.get("MONITOR_SMTP_HOST", "")
        if not host:
            return None
        return cls(
            host=host,
            port=int(e.get("MONITOR_SMTP_PORT", "587")),
            sender=e.get("MONITOR_SMTP_FROM", "monitor@localhost"),
            recipients=[r.strip() for r in e.get("MONITOR_SMTP_TO", "").split(",") if r.strip()],
            user=e.get("MONITOR_SMTP_USER", ""),
            password=e.get("MONITOR_SMTP_PASSWORD", ""),
            security=e.get("MONITOR_SMTP_SECURITY", "starttls"),
        )


def build_message(cfg: SmtpConfig, subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject  # non-ASCII subjects are RFC 2047-encoded by the email package
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=cfg.sender.rsplit("@", 1)[-1] or "localhost")
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def send_digest(cfg: SmtpConfig, subject: str, text: str, html: str, attempts: int = 3, backoff: float = 2.0) -> int:
    """Send the digest; returns the attempt that succeeded. Raises :class:`DeliveryError` after ``attempts``."""
    if not cfg.recipients:
        raise DeliveryError("no recipients (set MONITOR_SMTP_TO)")
    msg = build_message(cfg, subject, text, html)
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            with smtp:
                if cfg.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.user:
                    smtp.login(cfg.user, cfg.password)
                smtp.send_message(msg)
            return attempt
        except (OSError, smtplib.SMTPException) as exc:
            last = exc
            if attempt < attempts:
                time.sleep(backoff * attempt)
    raise DeliveryError(f"sending to {cfg.host}:{cfg.port} failed after {attempts} attempts: {last}")
