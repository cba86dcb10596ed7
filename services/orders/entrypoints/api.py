"""The orders HTTP API: the app factory and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.orders.entrypoints.reads import reads
from services.orders.entrypoints.writes import writes
from shared.runtime import Context
from shared.web.app import create_service_app, openapi_operation

MAX_REQUEST_BYTES = 10 * 10 * 1024 * 1024 + 1024 * 1024  # ten 10 MB photos and the form


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT orders", "version": "1"},
    "paths": {
        "/orders": {
            "post": openapi_operation("Apply for an order", "customer"),
            "get": openapi_operation("Orders in a tab: ongoing, completed, cancelled"),
        },
        "/orders/{order_id}": {"get": openapi_operation("Order details (R1-R5)")},
        "/orders/{order_id}/cancel": {"post": openapi_operation("Cancel (R15, R25)")},
        "/orders/{order_id}/item-changes": {
            "post": openapi_operation("Change items before payment (R17)")
        },
        "/orders/{order_id}/items/{item_id}/purchase-condition": {
            "post": openapi_operation("Confirm before purchasing (R13)")
        },
        "/orders/{order_id}/items/{item_id}/seller-confirmation": {
            "post": openapi_operation("Record the seller's answer (R13)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/purchased": {
            "post": openapi_operation("Mark purchased", "staff")
        },
        "/orders/{order_id}/items/{item_id}/unavailable": {
            "post": openapi_operation("Mark unavailable (R20)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/arrival": {
            "post": openapi_operation("Record arrival", "staff")
        },
        "/orders/{order_id}/items/{item_id}/inspection": {
            "post": openapi_operation("Inspect with photos, multipart (R18)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/exchange": {
            "post": openapi_operation("Open an exchange or return (R19)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/exchange-answer": {
            "post": openapi_operation("Record the seller's answer (R19)", "staff")
        },
        "/orders/{order_id}/reception-report": {
            "post": openapi_operation("Report reception (R23)")
        },
        "/orders/{order_id}/feedback": {
            "post": openapi_operation("Leave feedback (R28)", "customer")
        },
        "/orders/{order_id}/photos/{photo_id}": {
            "get": openapi_operation("An inspection photo (R18)")
        },
        "/queues/{name}": {"get": openapi_operation("A staff work queue", "staff")},
        "/feedback": {"get": openapi_operation("Recent public feedback (R28)", "anyone")},
    },
}


def create_app(context: Context) -> Flask:
    """The orders API over `context`."""
    app = create_service_app("orders", context, OPENAPI)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.register_blueprint(reads)
    app.register_blueprint(writes)
    return app
