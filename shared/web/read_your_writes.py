"""Read your writes over HTTP, for every service API: a request that appended events answers
with the position they reached in `CNNECT-Position`; a GET handed that header waits (at most
`WAIT_S`) until the service's projections have passed it, then answers as usual."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, has_request_context, request

from shared.domain_errors import ValidationError
from shared.events.consistency import (
    HEADER,
    WAIT_S,
    PositionToken,
    PositionTokenError,
    head,
    wait_until_passed,
)
from shared.events.projections import checkpoint_name
from shared.events.store import Position, Transaction

log = logging.getLogger(__name__)
READS = frozenset({"GET", "HEAD"})
REPLAYED = "Idempotent-Replayed"  # set by shared.web.idempotency on a repeat's answer


def install(app: Flask, service: str) -> None:
    """Give `app` (the API of `service`) both halves of read-your-writes."""
    app.extensions["cnnect.store"].add_after_commit_hook(note_reached_position)

    @app.before_request
    def wait_for_handed_position() -> None:
        g.reached_positions = []
        text = request.headers.get(HEADER)
        if request.method not in READS or not text:
            return
        try:
            token = PositionToken.parse(text)
        except PositionTokenError as exc:
            raise ValidationError(str(exc)) from exc
        if token.service != service:
            return  # another service's position: nothing here to wait for
        _wait(app, token.position)

    @app.after_request
    def tell_reached_position(response: Response) -> Response:
        reached: list[Position] = g.get("reached_positions") or []
        if not reached and _replayed_success(response):
            # A repeated write (same Idempotency-Key) answers the first answer, whose events
            # are at or before the store's last one: a read handed that waits for them too.
            latest = head(app.extensions["cnnect.context"].store)
            reached = [latest] if latest is not None else []
        if reached:
            response.headers[HEADER] = str(PositionToken(service, max(reached)))
        return response


def note_reached_position(tx: Transaction) -> None:
    """Collect where a request's committed appends reached (the store's threads that serve
    no request, such as the projections', collect nothing)."""
    if tx.appended and has_request_context() and "reached_positions" in g:
        g.reached_positions.append(max(event.commit_position for event in tx.appended))


def _replayed_success(response: Response) -> bool:
    return response.headers.get(REPLAYED) == "true" and response.status_code < 400


def _wait(app: Flask, position: Position) -> None:
    """Wait, bounded, until every projection of the service passed `position`. All of them,
    not only those the endpoint reads: they advance together, one transaction per batch
    (ProjectionGroup), so waiting for all costs nothing more."""
    context = app.extensions["cnnect.context"]
    names = [checkpoint_name(p) for p in context.projections]
    started = time.monotonic()
    if not wait_until_passed(context.store, names, position, WAIT_S):
        # A late read model is not an error: the read answers with what it has.
        log.info(
            "projections had not passed %s after %.1f s (or no write reached it); answering",
            position,
            time.monotonic() - started,
        )
