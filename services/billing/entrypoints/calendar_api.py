"""The public business calendar of bank transfer confirmations (R9): which days count, which
are bank holidays, and when a transfer reported now would be confirmed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.billing.config import config
from services.billing.domain.calendar import BusinessCalendar
from shared.domain_errors import ValidationError
from shared.web.app import service_context

calendar_api = Blueprint("calendar", __name__)
DEFAULT_DAYS = 14
MAX_DAYS = 62  # two months: enough to plan a transfer, small enough to answer at once
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarQuery(Schema):
    start = fields.Date(data_key="from", load_default=None)
    days = fields.Integer(
        load_default=DEFAULT_DAYS, strict=False, validate=validate.Range(min=1, max=MAX_DAYS)
    )


@calendar_api.get("/calendar")
def business_calendar() -> ResponseReturnValue:
    """Business days and bank holidays from `from` (today) for `days` days (public, R9)."""
    ctx = service_context()
    query = CalendarQuery().load(request.args.to_dict())
    cal = config(ctx).calendar
    now = ctx.clock.now()
    start: date = query["start"] or now.astimezone(ZoneInfo(cal.timezone)).date()
    try:
        end = start + timedelta(days=query["days"] - 1)
    except OverflowError as exc:
        raise ValidationError(f"{query['days']} days from {start} run past the calendar") from exc
    confirmation = cal.expected_confirmation(now).isoformat()
    return jsonify(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "timezone": cal.timezone,
            "country": cal.country,
            "cutoff": cal.cutoff.isoformat(timespec="minutes"),
            "days": [_day(cal, start + timedelta(days=n)) for n in range(query["days"])],
            "holidays": [d.isoformat() for d in cal.holidays_between(start, end)],
            "confirmation_if_reported_now": confirmation,
            # the day pages highlight: when a transfer reported now is expected to be confirmed
            "next_confirmation_day": confirmation,
        }
    )


def _day(cal: BusinessCalendar, day: date) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "business_day": cal.is_business_day(day),
        "holiday": cal.is_holiday(day),
        "holiday_name": cal.holiday_name(day),
        "weekday": _WEEKDAYS[day.weekday()],
    }
