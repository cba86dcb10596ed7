"""Wiring of the billing service."""

from __future__ import annotations

from services.billing import handlers
from services.billing.adapters.projections import projections
from services.billing.config import load_config
from services.billing.entrypoints.api import create_app
from services.billing.personal import PERSONAL_DATA
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="billing",
    schema="",
    projections=projections,
    handlers=handlers.EVENT_HANDLERS,
    create_app=create_app,
    config=load_config,
    personal_data=PERSONAL_DATA,
)
