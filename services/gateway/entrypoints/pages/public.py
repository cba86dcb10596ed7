"""Pages anyone may open: the home page, the shipping fee estimator (R22), the business
calendar (R9) and recent feedback (R28)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from services.gateway.adapters.upstream import ServiceUnavailableError
from services.gateway.entrypoints.pages.calendar_grid import month_grids, months_asked
from services.gateway.entrypoints.pages.common import Part, client, fetch, html_errors, page
from services.gateway.entrypoints.pages.form_errors import ESTIMATE_FORM, FormErrors, refusal
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
    return page(
        "home.html",
        feedback=fetch("orders", "/feedback"),
        fees=fetch("billing", "/fees"),  # billing owns the figures (R4, R10): none written here
    )


@public_pages.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers that ask for /favicon.ico get the site's SVG icon (base.html links it)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@public_pages.get("/estimate")
def estimator() -> ResponseReturnValue:
    """The public shipping fee estimator: every method that can carry the parcel (R22)."""
    asked = {name: request.args.get(name, "").strip()[:12] for name in ESTIMATE_FIELDS}
    estimate, errors = Part(), FormErrors()
    if any(asked.values()):
        try:
            answer = client().get("shipping", "/estimate", None, asked)
        except ServiceUnavailableError:
            estimate = Part(unavailable="shipping")
        else:
            if answer.ok:
                estimate = Part(answer.body)
            else:
                errors = refusal(answer, ESTIMATE_FORM)
    return page(
        "estimate.html",
        asked=asked,
        estimate=estimate,
        errors=errors,
        methods=fetch("shipping", "/methods"),
    )


@public_pages.get("/calendar")
def business_calendar() -> ResponseReturnValue:
    """The business calendar as month grids: the days bank transfers are confirmed, closed
    days named, the next confirmation day marked (R9). `?from=YYYY-MM-DD` shows its month."""
    asked = request.args.get("from", "")[:10]
    try:
        first = date.fromisoformat(asked) if asked else None
    except ValueError:
        first = None
    if first is None:  # today, in the calendar's time zone (billing's answer starts there)
        today = fetch("billing", "/calendar", {"days": "1"})
        if not today.shown:
            return page("calendar.html", calendar=today, months=[])
        first = date.fromisoformat(today.value["from"])
    start, days = months_asked(first)
    calendar = fetch("billing", "/calendar", {"from": start.isoformat(), "days": str(days)})
    months = month_grids(calendar.value) if calendar.shown else []
    return page("calendar.html", calendar=calendar, months=months)


@public_pages.get("/feedback")
def feedback() -> ResponseReturnValue:
    """Recent feedback on completed orders, without names (R28)."""
    return page("feedback.html", feedback=fetch("orders", "/feedback"))
