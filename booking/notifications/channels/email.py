"""Email over SMTP (the standard library's smtplib and email): text and HTML parts, the
booking's .ics attached, an unsubscribe link (List-Unsubscribe, one-click)."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from ..rules import parse_mail_url
from . import Recipient, Rendered, SendError

TIMEOUT = 10


class EmailChannel:
    name = "email"

    def __init__(self, url: str, sender: str):
        self.server = parse_mail_url(url)
        self.sender = sender

    @classmethod
    def from_config(cls, config):
        return cls(config["MAIL_URL"], config.get("MAIL_FROM") or "Shared Venues <noreply@localhost>")

    def build(self, message: Rendered, recipient: Recipient) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = formataddr((recipient.name, recipient.email))
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message.message_id
        mail["List-Unsubscribe"] = f"<{message.unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        if message.ics:
            mail.add_attachment(
                message.ics,
                maintype="text",
                subtype="calendar",
                filename=message.ics_name,
                params={"method": "PUBLISH"},
            )
        return mail

    def send(self, message: Rendered, recipient: Recipient) -> None:
        if not recipient.email:
            raise SendError("no verified address", permanent=True)
        mail = self.build(message, recipient)
        s = self.server
        try:
            if s.ssl:
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
            with client:
                if s.starttls:
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password or "")
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(
                f"recipient refused: {exc.recipients}", permanent=all(500 <= c < 600 for c in codes)
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"smtp: {exc!r}") from exc
