"""Pages anyone may open: the home page, the shipping fee estimator (R22), the business
calendar (R9) and recent feedback (R28)."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue

from services.gateway.adapters.upstream import ServiceUnavailableError
from services.gateway.entrypoints.pages.common import Part, client, fetch, html_errors, page
from services.gateway.entrypoints.sessions import STAFF_ROLES, current_session

public_pages = Blueprint("public_pages", __name__)
html_errors(public_pages)

ESTIMATE_FIELDS = ("country", "weight_grams", "length_cm", "width_cm", "height_cm")


@public_pages.get("/")
def home() -> ResponseReturnValue:
    """Signed in: your orders (staff: the console); otherwise what CNNECT does."""
    session = current_session()
    if session is not None:
        return redirect("/staff" if session.account.role in STAFF_ROLES else "/orders")
    return page("home.html", feedback=fetch("orders", "/feedback"))


@public_pages.get("/estimate")
def estimator() -> ResponseReturnValue:
    """The public shipping fee estimator: every method that can carry the parcel (R22)."""
    asked = {name: request.args.get(name, "").strip()[:12] for name in ESTIMATE_FIELDS}
    estimate, error = Part(), ""
    if any(asked.values()):
        try:
            answer = client().get("shipping", "/estimate", None, asked)
        except ServiceUnavailableError:
            estimate = Part(unavailable="shipping")
        else:
            if answer.ok:
                estimate = Part(answer.body)
            else:
                error = answer.message
    return page(
        "estimate.html",
        asked=asked,
        estimate=estimate,
        error=error,
        methods=fetch("shipping", "/methods"),
    )


@public_pages.get("/calendar")
def business_calendar() -> ResponseReturnValue:
    """The business calendar: the days bank transfers are confirmed (R9)."""
    days = request.args.get("days", "28")
    params = {"days": days if days.isdigit() else "28"}
    if request.args.get("from"):
        params["from"] = request.args["from"][:10]
    return page("calendar.html", calendar=fetch("billing", "/calendar", params))


@public_pages.get("/feedback")
def feedback() -> ResponseReturnValue:
    """Recent feedback on completed orders, without names (R28)."""
    return page("feedback.html", feedback=fetch("orders", "/feedback"))
