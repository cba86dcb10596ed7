"""Wiring of the orders service: tables, projections, handlers, deadlines, API."""

from __future__ import annotations

from services.orders import handlers
from services.orders.adapters.photos import SCHEMA as PHOTOS_SCHEMA
from services.orders.adapters.projections import projections
from services.orders.entrypoints.api import create_app
from services.orders.personal import PERSONAL_DATA
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="orders",
    schema=PHOTOS_SCHEMA,
    projections=projections,
    handlers=handlers.EVENT_HANDLERS,
    deadlines=handlers.deadline_handlers,
    create_app=create_app,
    personal_data=PERSONAL_DATA,
)
