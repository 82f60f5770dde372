"""E-mail over SMTP: one message per notification to its user (or to every admin)."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from engine.models import Notification
from engine.notify.retry import DeliveryFailed
from engine.notify.settings import NotifySettings


def build_message(settings: NotifySettings, recipients: list[str],
                  notification: Notification) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = notification.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"kamflow-notification-{notification.id}")
    message["X-Kamflow-Notification"] = str(notification.id)
    message.set_content(notification.body or notification.subject)
    return message


def _connect(settings: NotifySettings) -> smtplib.SMTP:
    timeout = settings.timeout_seconds
    if settings.smtp_security == "ssl":
        return smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                context=ssl.create_default_context())
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    if settings.smtp_security == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def send(settings: NotifySettings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; a 5xx answer is permanent, the rest may pass."""
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"recipients refused: {sorted(exc.recipients)}", permanent=True)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                             permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
