"""A deadline in words on the order page: the date, the time and the zone it is told in."""

from __future__ import annotations

from services.gateway.entrypoints.pages.deadlines import moment_in_words


def test_a_deadline_is_told_in_the_calendars_zone_with_its_offset() -> None:
    words = moment_in_words("2026-12-09T06:03:00+00:00", "Asia/Shanghai")
    assert words == "9 December 2026, 14:03 Asia/Shanghai time (UTC+08:00)"


def test_a_deadline_across_midnight_and_summer_time_says_the_local_day_and_offset() -> None:
    assert moment_in_words("2026-12-31T23:30:00+00:00", "Europe/Paris") == (
        "1 January 2027, 00:30 Europe/Paris time (UTC+01:00)"
    )
    assert moment_in_words("2026-07-01T12:00:00Z", "Europe/Paris") == (
        "1 July 2026, 14:00 Europe/Paris time (UTC+02:00)"
    )
    assert moment_in_words("2026-07-01T12:00:00+00:00", "America/New_York").endswith(
        "08:00 America/New_York time (UTC-04:00)"
    )
