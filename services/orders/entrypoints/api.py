"""The orders HTTP API: the app factory and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.orders import views
from services.orders.entrypoints import schemas
from services.orders.entrypoints.reads import reads
from services.orders.entrypoints.writes import MAX_PHOTOS, writes
from shared.runtime import Context
from shared.web.app import create_service_app
from shared.web.openapi import Files, document, operation, write
from shared.web.paging import OFFSET_PARAMETER

MAX_REQUEST_BYTES = 10 * 10 * 1024 * 1024 + 1024 * 1024  # ten 10 MB photos and the form


_PHOTOS = "photos"


OPENAPI: dict[str, Any] = document(
    "CNNECT orders",
    {
        "/orders": {
            "post": write("Apply for an order", "customer", body=schemas.PlaceOrderRequest),
            "get": {
                **operation("Orders in a tab: ongoing, completed, cancelled"),
                "parameters": [
                    {
                        "name": "tab",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(views.TABS)},
                    },
                    OFFSET_PARAMETER,
                ],
            },
        },
        "/orders/owners": {
            "get": operation("Who orders are for, or a staff search (R27)", "staff")
        },
        "/orders/{order_id}": {"get": operation("Order details (R1-R5)")},
        "/orders/{order_id}/history": {
            "get": operation("The order's events: when, what and who (R27)", "staff")
        },
        "/orders/{order_id}/cancel": {"post": write("Cancel (R15, R25)")},
        "/orders/{order_id}/item-changes": {
            "post": write("Change items before payment (R17)", body=schemas.ChangeItemsRequest)
        },
        "/orders/{order_id}/items/{item_id}/purchase-condition": {
            "post": write("Confirm before purchasing (R13)", body=schemas.TextRequest)
        },
        "/orders/{order_id}/items/{item_id}/seller-confirmation": {
            "post": write("Record the seller's answer (R13)", "staff", body=schemas.AnswerRequest)
        },
        "/orders/{order_id}/items/{item_id}/purchased": {"post": write("Mark purchased", "staff")},
        "/orders/{order_id}/items/{item_id}/unavailable": {
            "post": write("Mark unavailable (R20)", "staff", body=schemas.ReasonRequest)
        },
        "/orders/{order_id}/items/{item_id}/arrival": {"post": write("Record arrival", "staff")},
        "/orders/{order_id}/items/{item_id}/inspection": {
            "post": write(
                "Inspect with photos, multipart (R18)",
                "staff",
                form=schemas.InspectionForm,
                files=Files(_PHOTOS, max_items=MAX_PHOTOS, min_items=1),
            )
        },
        "/orders/{order_id}/items/{item_id}/exchange": {
            "post": write("Open an exchange or return (R19)", "staff", body=schemas.ExchangeRequest)
        },
        "/orders/{order_id}/items/{item_id}/exchange-answer": {
            "post": write(
                "Record the seller's answer (R19)", "staff", body=schemas.ExchangeAnswerRequest
            )
        },
        "/orders/{order_id}/reception-report": {
            "post": write(
                "Report reception (R23): JSON, or multipart with problem pictures",
                "customer",
                body=schemas.ReceptionReportRequest,
                form=schemas.ReceptionReportRequest,
                files=Files(_PHOTOS, max_items=MAX_PHOTOS),
            )
        },
        "/orders/{order_id}/feedback": {
            "post": write("Leave feedback (R28)", "customer", body=schemas.FeedbackRequest)
        },
        "/orders/{order_id}/inspection-photos-checked": {
            "post": write("Confirm the inspection photos (R18, R2)", "customer")
        },
        "/orders/{order_id}/photos/{photo_id}": {"get": operation("An inspection photo (R18)")},
        "/queues/{name}": {
            "get": {
                **operation("A staff work queue", "staff"),
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["estimates", *views.QUEUES]},
                    }
                ],
            }
        },
        "/feedback": {"get": operation("Recent public feedback (R28)", "anyone")},
        "/customers/{customer_id}/open-orders": {
            "get": operation("A customer's orders not completed nor cancelled", "staff")
        },
    },
)


def create_app(context: Context) -> Flask:
    """The orders API over `context`."""
    app = create_service_app("orders", context, OPENAPI)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.register_blueprint(reads)
    app.register_blueprint(writes)
    return app
