"""Wiring of the messaging service."""

from __future__ import annotations

from services.messaging import handlers
from services.messaging.adapters.projections import projections
from services.messaging.entrypoints.api import create_app
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="messaging",
    default_port=8103,
    schema="",
    projections=projections,
    handlers=handlers.event_handlers,
    create_app=create_app,
)
