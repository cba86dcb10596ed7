"""The gateway's own settings (`CNNECT_GATEWAY_*`), read once when it starts: a value that
cannot be used stops the start with its variable's name."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import Settings

MAX_PROXIES = 5
# The business calendar's zone (R9): where staff work unless told otherwise.
STAFF_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway reads from its own variables, parsed."""

    # How many reverse proxies (the ingress) stand in front: their forwarding headers are
    # trusted for that many hops (entrypoints/client_address.py); 0 where browsers connect.
    proxies: int = 0
    # The staff console's time zone (R27): an unknown zone stops the start, rather than
    # showing wrong times all day.
    staff_timezone: str = STAFF_TIMEZONE


def load_config(settings: Settings) -> GatewayConfig:
    """The gateway's settings; anything unusable is a ConfigurationError naming its variable."""
    return GatewayConfig(
        proxies=settings.setting("proxies", "", _proxies),
        staff_timezone=settings.setting("staff_timezone", "", _zone),
    )


def _proxies(text: str) -> int:
    raw = text.strip() or "0"
    if not raw.isdigit() or int(raw) > MAX_PROXIES:
        raise ValueError(f"it is how many proxies stand in front, 0 to {MAX_PROXIES}")
    return int(raw)


def _zone(text: str) -> str:
    zone = text or STAFF_TIMEZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"no time zone {zone!r}") from exc
    return zone
