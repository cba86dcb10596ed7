"""Wiring of the messaging service."""

from __future__ import annotations

from services.messaging import handlers
from services.messaging.adapters.attachments import SCHEMA as ATTACHMENTS_SCHEMA
from services.messaging.adapters.mailer import OUTBOX_SCHEMA
from services.messaging.adapters.projections import projections
from services.messaging.config import load_config
from services.messaging.entrypoints.api import create_app
from services.messaging.handlers.notifications import mail_loops
from services.messaging.personal import PERSONAL_DATA
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="messaging",
    schema=ATTACHMENTS_SCHEMA + OUTBOX_SCHEMA,
    projections=projections,
    handlers=handlers.EVENT_HANDLERS,
    create_app=create_app,
    loops=mail_loops,
    config=load_config,
    personal_data=PERSONAL_DATA,
)
