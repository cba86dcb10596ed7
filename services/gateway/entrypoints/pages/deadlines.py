"""The deadlines the rules set, in words on the order page: when an unpaid order is cancelled
(R16), when a shipped order completes by itself (R24), until when a finished order's messages
can be written (R12). Each is shown in the business calendar's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.gateway.entrypoints.pages.common import fetch

FINISHED = ("completed", "cancelled")
FALLBACK_ZONE = "UTC"  # when billing, which keeps the business calendar, does not answer


@dataclass(frozen=True)
class Note:
    """One sentence of the order page about a deadline, with the element id it is shown as."""

    id: str
    text: str


def moment_in_words(moment: str, zone: str) -> str:
    """An ISO 8601 moment as `9 December 2026, 14:03 Asia/Shanghai time (UTC+08:00)`."""
    local = datetime.fromisoformat(moment).astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local.day} {local:%B %Y}, {local:%H:%M} {zone} time (UTC{offset[:3]}:{offset[3:]})"


def deadline_notes(order: dict[str, Any] | None, order_id: str) -> list[Note]:
    """What the order page says about the order's deadlines (none for a missing order)."""
    if order is None:
        return []
    due: list[tuple[str, str, str]] = []  # (id, sentence before the moment, after it)
    if order.get("auto_cancel_at"):
        due.append(
            (
                "auto-cancel-note",
                "Unpaid orders are cancelled automatically: this one on",
                order["auto_cancel_at"],
            )
        )
    if order.get("auto_complete_at"):
        due.append(
            (
                "auto-complete-note",
                "Without a reception report, shipped orders complete by themselves: this one on",
                order["auto_complete_at"],
            )
        )
    if order.get("status") in FINISHED:
        conversation = fetch("messaging", f"/orders/{order_id}/conversation")
        closes_at = conversation.value.get("closes_at") if conversation.shown else None
        if closes_at:
            due.append(
                (
                    "messages-close-note",
                    "You can write messages about this order until",
                    closes_at,
                )
            )
    if not due:
        return []
    zone = _calendar_zone()
    return [
        Note(note_id, f"{text} {moment_in_words(moment, zone)}.") for note_id, text, moment in due
    ]


def _calendar_zone() -> str:
    """The business calendar's time zone, as billing keeps it."""
    calendar = fetch("billing", "/calendar", {"days": "1"})
    zone = calendar.value.get("timezone") if calendar.shown else None
    if not isinstance(zone, str):
        return FALLBACK_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return FALLBACK_ZONE
    return zone
