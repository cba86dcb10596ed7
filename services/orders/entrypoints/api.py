"""The orders HTTP API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from services.orders import handlers
from services.orders.domain import events as ev
from services.orders.entrypoints.schemas import (
    InspectionRequest,
    PlaceOrderRequest,
    ReceptionReportRequest,
)
from shared.events.errors import NotFoundError
from shared.money import Money
from shared.runtime import Context
from shared.web.app import (
    create_service_app,
    current_identity,
    json_body,
    jsonable,
    require_staff,
    service_context,
)
from shared.web.idempotency import idempotent

bp = Blueprint("orders", __name__)

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT orders", "version": "1"},
    "paths": {
        "/orders": {"post": {"summary": "Apply for an order"}, "get": {"summary": "List orders"}},
        "/orders/{order_id}": {"get": {"summary": "One order"}},
        "/orders/{order_id}/inspection": {"post": {"summary": "Record the inspection (staff)"}},
        "/orders/{order_id}/reception-report": {"post": {"summary": "Report reception"}},
        "/orders/{order_id}/cancel": {"post": {"summary": "Cancel before payment"}},
    },
}


def _ctx() -> Context:
    context: Context = service_context()
    return context


def _summary(order_id: str) -> dict[str, Any]:
    identity = current_identity()
    row = _ctx().store.transact(
        lambda tx: tx.conn.execute(
            "SELECT * FROM order_summaries WHERE order_id = %s", (order_id,)
        ).fetchone()
    )
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError(f"order {order_id} not found")
    return jsonable(row)


@bp.post("/orders")
@idempotent
def place_order() -> ResponseReturnValue:
    identity = current_identity()
    body = json_body(PlaceOrderRequest())
    items = [
        ev.OrderedItem(
            item_id=f"itm-{n}",
            url=i["url"],
            title=i["title"],
            quantity=i["quantity"],
            unit_price=Money(i["unit_price_cny"], "CNY").rounded(),
            domestic_shipping=Money(i["domestic_shipping_cny"], "CNY").rounded(),
            options=i["options"],
        )
        for n, i in enumerate(body["items"], start=1)
    ]
    order_id = handlers.place_order(
        _ctx(),
        handlers.PlaceOrder(
            identity.subject, items, body["destination_country"], body["shipping_method"]
        ),
        actor=identity.subject,
    )
    return jsonify({"order_id": order_id, "status": "applied"}), 201


@bp.get("/orders")
def list_orders() -> ResponseReturnValue:
    identity = current_identity()
    query = "SELECT * FROM order_summaries"
    params: tuple[Any, ...] = ()
    if not identity.is_staff:
        query += " WHERE customer_id = %s"
        params = (identity.subject,)
    rows = _ctx().store.transact(
        lambda tx: tx.conn.execute(query + " ORDER BY placed_at DESC LIMIT 200", params).fetchall()
    )
    return jsonify({"orders": [jsonable(r) for r in rows]})


@bp.get("/orders/<order_id>")
def get_order(order_id: str) -> ResponseReturnValue:
    return jsonify(_summary(order_id))


@bp.post("/orders/<order_id>/inspection")
@idempotent
def inspect(order_id: str) -> ResponseReturnValue:
    staff = require_staff()
    body = json_body(InspectionRequest())
    items = [
        ev.InspectedItem(i["item_id"], i["quantity"], i["weight_grams"]) for i in body["items"]
    ]
    handlers.inspect_items(_ctx(), handlers.InspectItems(order_id, items), actor=staff.subject)
    return jsonify({"order_id": order_id, "status": "inspected"})


@bp.post("/orders/<order_id>/reception-report")
@idempotent
def reception_report(order_id: str) -> ResponseReturnValue:
    identity = current_identity()
    body = json_body(ReceptionReportRequest())
    handlers.report_reception(
        _ctx(),
        handlers.ReportReception(order_id, identity.subject, body["all_well"], body["comment"]),
        actor=identity.subject,
    )
    return jsonify({"order_id": order_id, "reported": True})


@bp.post("/orders/<order_id>/cancel")
@idempotent
def cancel(order_id: str) -> ResponseReturnValue:
    identity = current_identity()
    command = handlers.CancelOrder(
        order_id,
        "staff" if identity.is_staff else "customer_request",
        None if identity.is_staff else identity.subject,
    )
    handlers.cancel_order(_ctx(), command, actor=identity.subject)
    return jsonify({"order_id": order_id, "status": "cancelled"})


def create_app(context: Context) -> Flask:
    """The orders API over `context`."""
    app = create_service_app("orders", context, OPENAPI)
    app.register_blueprint(bp)
    return app
