"""The common skeleton of every service's Flask app: errors, identity, health, OpenAPI."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from shared.domain_errors import ValidationError
from shared.events.bus import blocking_connection
from shared.events.store import EventStore
from shared.observability.web import instrument, metrics_response
from shared.web import personal_responses, read_your_writes
from shared.web.errors import register_error_handlers
from shared.web.identity import ForbiddenError, Identity, UnauthorizedError, verify_token
from shared.web.json_input import read_json_strictly
from shared.web.text_guard import refuse_nul_characters

if TYPE_CHECKING:
    from shared.runtime import Context

health = Blueprint("health", __name__)


def create_service_app(name: str, context: Any, openapi: dict[str, Any]) -> Flask:
    """A Flask app with the shared error table, health endpoints, metrics, OpenAPI document,
    and every request observed (correlation id, latency, one log line)."""
    app = Flask(name)
    instrument(app, name)
    app.config.update(
        IDENTITY_SECRET=context.settings.identity_secret,
        AMQP_URL=context.settings.amqp_url,
        OPENAPI=openapi,
    )
    app.extensions["cnnect.store"] = context.store
    app.extensions["cnnect.context"] = context
    register_error_handlers(app)
    read_json_strictly(app)
    refuse_nul_characters(app)
    read_your_writes.install(app, name)
    personal_responses.install(app)
    app.register_blueprint(health)
    return app


def current_identity() -> Identity:
    """The verified caller of this request (401 without a valid token)."""
    if "identity" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError("sign in first")
        g.identity = verify_token(current_app.config["IDENTITY_SECRET"], token.strip())
    identity: Identity = g.identity
    return identity


def require_staff() -> Identity:
    """The caller, who must be staff (403 otherwise)."""
    identity = current_identity()
    if not identity.is_staff:
        raise ForbiddenError("staff only")
    return identity


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive."""
    return jsonify({"status": "ok"})


@health.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The database and the broker are reachable."""
    checks: dict[str, str] = {}
    store: EventStore = current_app.extensions["cnnect.store"]
    try:
        store.transact(lambda tx: tx.conn.execute("SELECT 1").fetchone())
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        with blocking_connection(current_app.config["AMQP_URL"]):
            checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), (
        200 if ready else 503
    )


@health.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics of this API process (public on the internal network, like /healthz;
    the gateway does not pass it on)."""
    return metrics_response()


@health.get("/projections")
def projections() -> ResponseReturnValue:
    """Each projection's lag: how many stored events it has not applied yet."""
    from shared.events.projections import ProjectionRunner

    context = service_context()
    lags = {p.name: ProjectionRunner(context.store, p).lag() for p in context.projections}
    return jsonify({"lag": lags})


@health.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The service's OpenAPI document."""
    return jsonify(current_app.config["OPENAPI"])


def json_body(schema: Schema | type[Schema]) -> Any:
    """The request's JSON object validated by `schema` (400 otherwise). Given a Schema class,
    one instance of it serves every request: a schema keeps nothing of a load, and building
    one deep-copies its fields (and its nested schemas' on their first load), which cost an
    order's POST more than validating it did."""
    loader = shared_schema(schema) if isinstance(schema, type) else schema
    return loader.load(json_object())


@cache
def shared_schema(kind: type[Schema]) -> Schema:
    """The one instance of `kind` the requests share (two threads that build it at once
    each get a working one)."""
    return kind()


def json_object(what: str = "the body") -> dict[str, Any]:
    """The request's JSON object, unvalidated (400 "<what> must be a JSON object" otherwise)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(f"{what} must be a JSON object")
    return payload


def service_context() -> Context:
    """The service's wired dependencies (the `Context` bootstrap built)."""
    context: Context = current_app.extensions["cnnect.context"]
    return context


def as_texts(row: Mapping[str, Any]) -> dict[str, str | None]:
    """A read-model row with every value as text (None stays null)."""
    return {k: None if v is None else str(v) for k, v in row.items()}


def jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A read-model row as JSON: datetimes in ISO 8601, decimals as strings."""
    return {k: _plain(v) for k, v in row.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
