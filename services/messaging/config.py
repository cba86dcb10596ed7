"""Messaging's own settings (`CNNECT_MESSAGING_*`), read once when a messaging process starts:
a value that cannot be used stops the start with its variable's name."""

from __future__ import annotations

from dataclasses import dataclass

from services.messaging.adapters.mailer import SmtpSettings
from shared.config import Settings
from shared.observability.ports import LOCAL_GATEWAY_URL
from shared.runtime import Context


@dataclass(frozen=True)
class MessagingConfig:
    """Everything messaging reads from its environment, parsed."""

    site_url: str  # where the customers' pages are: the links in e-mails
    smtp: SmtpSettings  # where e-mails go out, and who they come from


def load_config(settings: Settings) -> MessagingConfig:
    """Messaging's settings; anything unusable is a ConfigurationError naming its variable."""
    extra = settings.extra
    return MessagingConfig(
        site_url=extra.get("site_url", LOCAL_GATEWAY_URL),
        smtp=SmtpSettings(
            extra.get("smtp_host", "127.0.0.1"),
            settings.setting("smtp_port", "1025", int),
            extra.get("mail_sender", "no-reply@cnnect.example"),
        ),
    )


def config(ctx: Context) -> MessagingConfig:
    """The settings messaging's bootstrap parsed into `ctx`."""
    assert isinstance(ctx.config, MessagingConfig), "a messaging context is built by its bootstrap"
    return ctx.config
