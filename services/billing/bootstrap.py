"""Wiring of the billing service."""

from __future__ import annotations

from services.billing import handlers
from services.billing.adapters.projections import projections
from services.billing.entrypoints.api import create_app
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="billing",
    default_port=8102,
    schema="",
    projections=projections,
    handlers=handlers.event_handlers,
    create_app=create_app,
)
