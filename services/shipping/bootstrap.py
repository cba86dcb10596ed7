"""Wiring of the shipping service."""

from __future__ import annotations

from services.shipping import handlers
from services.shipping.adapters.projections import projections
from services.shipping.entrypoints.api import create_app
from services.shipping.rating import SCHEMA
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="shipping",
    schema=SCHEMA,
    projections=projections,
    handlers=handlers.EVENT_HANDLERS,
    create_app=create_app,
)
