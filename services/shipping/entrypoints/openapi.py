"""The shipping service's OpenAPI document."""

from __future__ import annotations

from typing import Any

_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "The same key and body get the first answer again and cause one effect.",
}
_ERROR = {
    "description": "Refused",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {}},
            }
        }
    },
}
_ESTIMATE_FIELDS = ("country", "weight_grams", "length_cm", "width_cm", "height_cm")


def _write(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [_KEY],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "Done"}, "400": _ERROR, "409": _ERROR},
    }


def _read(summary: str) -> dict[str, Any]:
    return {"summary": summary, "responses": {"200": {"description": "Found"}, "404": _ERROR}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT shipping", "version": "1"},
    "paths": {
        "/shipments/{order_id}": {"get": _read("Shipping information of an order (R6)")},
        "/shipments/{order_id}/parcels": {"post": _write("Pack and quote the fee (staff, R21)")},
        "/shipments/{order_id}/method": {
            "post": _write("Change the shipping method before the quote (staff)")
        },
        "/shipments/{order_id}/ship": {
            "post": _write("Ship every parcel with its tracking number (staff, R6)")
        },
        "/queues/{queue}": {
            "get": {
                **_read("Staff queue: to-pack, awaiting-payment or to-ship (staff)"),
                "parameters": [
                    {
                        "name": "queue",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["to-pack", "awaiting-payment", "to-ship"]},
                    }
                ],
            }
        },
        "/methods": {"get": _read("Shipping methods and their rate tables in force (public)")},
        "/methods/{method}/rates": {
            "put": _write("Set a new version of a method's rate table (staff)")
        },
        "/methods/{method}/rates/{version}": {"get": _read("One version of a rate table")},
        "/estimate": {
            "get": {
                **_read("Approximate fee of every method that can carry a parcel (public, R22)"),
                "parameters": [
                    {"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
                    for n in _ESTIMATE_FIELDS
                ],
            },
            "post": {
                "summary": "The same estimate with a JSON body (public, R22)",
                "responses": {"200": {"description": "Offers"}, "400": _ERROR},
            },
        },
    },
}
