"""The messaging HTTP API (conversations; messages come with the messaging issue)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from shared.events.errors import NotFoundError
from shared.runtime import Context
from shared.web.app import create_service_app, current_identity, jsonable, service_context

bp = Blueprint("messaging", __name__)

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT messaging", "version": "1"},
    "paths": {"/orders/{order_id}/conversation": {"get": {"summary": "An order's conversation"}}},
}


@bp.get("/orders/<order_id>/conversation")
def conversation(order_id: str) -> ResponseReturnValue:
    identity = current_identity()
    context: Context = service_context()
    row = context.store.transact(
        lambda tx: tx.conn.execute(
            "SELECT * FROM conversations WHERE order_id = %s", (order_id,)
        ).fetchone()
    )
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError(f"no conversation for order {order_id}")
    now = context.clock.now()
    accepts = row["closes_at"] is None or now < row["closes_at"]
    return jsonify({**jsonable(row), "accepts_messages": accepts})


def create_app(context: Context) -> Flask:
    """The messaging API over `context`."""
    app = create_service_app("messaging", context, OPENAPI)
    app.register_blueprint(bp)
    return app
