"""The orders HTTP API: the app factory and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.orders.entrypoints.reads import reads
from services.orders.entrypoints.writes import writes
from shared.runtime import Context
from shared.web.app import create_service_app

MAX_REQUEST_BYTES = 10 * 10 * 1024 * 1024 + 1024 * 1024  # ten 10 MB photos and the form


def _op(summary: str, auth: str = "customer or staff") -> dict[str, Any]:
    return {
        "summary": summary,
        "description": f"Caller: {auth}.",
        "responses": {"200": {"description": "OK"}, "4XX": {"description": "error"}},
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT orders", "version": "1"},
    "paths": {
        "/orders": {
            "post": _op("Apply for an order", "customer"),
            "get": _op("Orders in a tab: ongoing, completed, cancelled"),
        },
        "/orders/{order_id}": {"get": _op("Order details (R1-R5)")},
        "/orders/{order_id}/cancel": {"post": _op("Cancel (R15, R25)")},
        "/orders/{order_id}/item-changes": {"post": _op("Change items before payment (R17)")},
        "/orders/{order_id}/items/{item_id}/purchase-condition": {
            "post": _op("Confirm before purchasing (R13)")
        },
        "/orders/{order_id}/items/{item_id}/seller-confirmation": {
            "post": _op("Record the seller's answer (R13)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/purchased": {"post": _op("Mark purchased", "staff")},
        "/orders/{order_id}/items/{item_id}/unavailable": {
            "post": _op("Mark unavailable (R20)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/arrival": {"post": _op("Record arrival", "staff")},
        "/orders/{order_id}/items/{item_id}/inspection": {
            "post": _op("Inspect with photos, multipart (R18)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/exchange": {
            "post": _op("Open an exchange or return (R19)", "staff")
        },
        "/orders/{order_id}/items/{item_id}/exchange-answer": {
            "post": _op("Record the seller's answer (R19)", "staff")
        },
        "/orders/{order_id}/reception-report": {"post": _op("Report reception (R23)")},
        "/orders/{order_id}/feedback": {"post": _op("Leave feedback (R28)", "customer")},
        "/orders/{order_id}/photos/{photo_id}": {"get": _op("An inspection photo (R18)")},
        "/queues/{name}": {"get": _op("A staff work queue", "staff")},
        "/feedback": {"get": _op("Recent public feedback (R28)", "anyone")},
    },
}


def create_app(context: Context) -> Flask:
    """The orders API over `context`."""
    app = create_service_app("orders", context, OPENAPI)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.register_blueprint(reads)
    app.register_blueprint(writes)
    return app
