"""The OpenAPI documents: what a client and the fuzzer (tests/attacks) read about each request
is rendered from the marshmallow schemas the endpoints load."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from marshmallow import Schema, fields, validate
from schemathesis.core.result import Ok

from services.billing.entrypoints.api import OPENAPI as BILLING
from services.gateway.entrypoints.openapi import OPENAPI as GATEWAY
from services.messaging.entrypoints.api import OPENAPI as MESSAGING
from services.orders.entrypoints.api import OPENAPI as ORDERS
from services.shipping.entrypoints.api import OPENAPI as SHIPPING
from shared.web.openapi import Files, document, operation

DOCUMENTS = {
    "orders": ORDERS,
    "billing": BILLING,
    "messaging": MESSAGING,
    "shipping": SHIPPING,
    "gateway": GATEWAY,
}
# Writes whose request is the URL alone (and the caller, and an Idempotency-Key).
WITHOUT_BODY = {
    "/orders/{order_id}/cancel",
    "/orders/{order_id}/inspection-photos-checked",
    "/orders/{order_id}/items/{item_id}/purchased",
    "/orders/{order_id}/items/{item_id}/arrival",
    "/billings/{billing_id}/deposit-payments",
    "/billings/{billing_id}/payment-reports/{report_id}/withdrawal",
    "/billings/{billing_id}/card-payments/{order_id}/capture",
    "/orders/{order_id}/messages/read",
    "/customers/{customer_id}/forgotten",
    "/auth/signout",
}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_document_is_json_that_schemathesis_reads_whole(name: str) -> None:
    # Through JSON and back: what /openapi.json serves (a Decimal bound would not survive).
    served = json.loads(json.dumps(DOCUMENTS[name]))
    operations = list(schemathesis.openapi.from_dict(served).get_all_operations())
    assert operations and all(isinstance(op, Ok) for op in operations)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_write_describes_its_request_and_every_refusal_the_error_body(name: str) -> None:
    for path, method, op in _operations(DOCUMENTS[name]):
        if method in ("post", "put") and path not in WITHOUT_BODY:
            assert op.get("requestBody", {}).get("content"), f"{method} {path} has no body"
        assert op["responses"]["4XX"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(path.replace("}", "{").split("{")[1::2]), f"{method} {path}"


class _Item(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))


class _Order(Schema):
    items = fields.List(fields.Nested(_Item), required=True, validate=validate.Length(max=50))
    price = fields.Decimal(required=True, as_string=True, validate=validate.Range(min=0, max=9))
    weight = fields.Decimal(required=True, validate=validate.Range(min=0))
    options = fields.Dict(keys=fields.String(), validate=validate.Length(max=10))


class _Form(Schema):
    quantity = fields.Integer(required=True)


def test_a_schema_renders_with_its_constraints() -> None:
    doc = document(
        "t",
        {
            "/orders/{order_id}": {
                "post": operation("s", "c", body=_Order, idempotent=True),
                "put": operation("s", "c", form=_Form, files=Files("photos", 3, 1)),
            }
        },
    )
    schemas = doc["components"]["schemas"]
    order = schemas["_Order"]
    assert order["additionalProperties"] is False
    assert order["required"] == ["items", "price", "weight"]
    assert order["properties"]["items"]["items"] == {"$ref": "#/components/schemas/_Item"}
    assert schemas["_Item"]["properties"]["title"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 300,
    }
    assert order["properties"]["price"]["type"] == "string"  # money travels as a string
    assert "minimum" not in order["properties"]["price"]
    assert order["properties"]["weight"] == {"type": "number", "minimum": 0}
    assert order["properties"]["options"]["maxProperties"] == 10
    post = doc["paths"]["/orders/{order_id}"]["post"]
    assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key", "order_id"]
    form = doc["paths"]["/orders/{order_id}"]["put"]["requestBody"]["content"]
    assert form["multipart/form-data"]["schema"]["properties"]["photos"]["maxItems"] == 3
    assert form["multipart/form-data"]["schema"]["required"] == ["quantity", "photos"]
