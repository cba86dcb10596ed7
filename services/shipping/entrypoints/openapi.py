"""The shipping service's OpenAPI document, its request parts from the request schemas."""

from __future__ import annotations

from typing import Any

from services.shipping.entrypoints.schemas import (
    EstimateRequest,
    MethodRequest,
    PackRequest,
    RateTableRequest,
    ShipRequest,
)
from shared.web.openapi import document, operation

QUEUE_NAMES = ["to-pack", "awaiting-payment", "to-ship"]


def _write(summary: str, body: Any) -> dict[str, Any]:
    return operation(summary, "staff", body=body, idempotent=True)


OPENAPI: dict[str, Any] = document(
    "CNNECT shipping",
    {
        "/shipments/search": {
            "get": operation("Orders by tracking number (staff search, R27)", "staff")
        },
        "/shipments/{order_id}": {"get": operation("Shipping information of an order (R6)")},
        "/shipments/{order_id}/parcels": {
            "post": _write("Pack and quote the fee (staff, R21)", PackRequest)
        },
        "/shipments/{order_id}/method": {
            "post": _write("Change the shipping method before the quote (staff)", MethodRequest)
        },
        "/shipments/{order_id}/ship": {
            "post": _write("Ship every parcel with its tracking number (staff, R6)", ShipRequest)
        },
        "/queues/{queue}": {
            "get": {
                **operation("Staff queue: to-pack, awaiting-payment or to-ship", "staff"),
                "parameters": [
                    {
                        "name": "queue",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": QUEUE_NAMES},
                    }
                ],
            }
        },
        "/methods": {
            "get": operation("Shipping methods and their rate tables in force (public)", "anyone")
        },
        "/methods/{method}/rates": {
            "put": _write("Set a new version of a method's rate table (staff)", RateTableRequest)
        },
        "/methods/{method}/rates/{version}": {
            "get": {
                **operation("One version of a rate table", "anyone"),
                "parameters": [
                    {
                        "name": "method",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "version",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                    },
                ],
            }
        },
        "/estimate": {
            "get": operation(
                "Approximate fee of every method that can carry a parcel (public, R22)",
                "anyone",
                query=EstimateRequest,
            ),
            "post": operation(
                "The same estimate with a JSON body (public, R22)", "anyone", body=EstimateRequest
            ),
        },
    },
)
