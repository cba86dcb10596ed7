"""The customer's "Download my data" (GDPR articles 15 and 20, issue 21): a zip of everything
the services hold about them, gathered as them (adapters/data_export.py)."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from services.gateway.adapters.data_export import DataExport
from services.gateway.entrypoints.pages.common import client, html_errors
from services.gateway.entrypoints.sessions import gateway, identity_of, signed_in
from shared.domain_errors import NotFoundError

data_export_pages = Blueprint("data_export_pages", __name__)
html_errors(data_export_pages)


@data_export_pages.get("/account/export")
def export() -> ResponseReturnValue:
    """The signed-in customer's data as `cnnect-data-<date>.zip`."""
    session = signed_in()
    if session.account.role != "customer":
        raise NotFoundError("staff accounts have no customer data to download")
    wired = gateway()
    now = wired.clock.now()
    gathered = DataExport(client(timeout_s=30.0), wired.accounts).gather(
        identity_of(session), session.account.email, now
    )
    response = Response(gathered.zipped(), mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="cnnect-data-{now.date().isoformat()}.zip"'
    )
    # Personal data: never kept by a cache on the way.
    response.headers["Cache-Control"] = "no-store"
    return response
