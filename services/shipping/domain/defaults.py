"""The rate tables a new shipping database starts with (staff change them later)."""

from __future__ import annotations

from decimal import Decimal

from services.shipping.domain.rates import RateTable, ZoneRate

# Per method, as RateTable takes them: its name, currency, grams (first, step, most),
# centimetres (longest side, size), the size measure and the volumetric divisor.
_LIMITS: dict[str, tuple[str, str, int, int, int, int, int, str, int]] = {
    "EMS": ("EMS express mail", "EUR", 500, 500, 30_000, 150, 300, "girth", 6000),
    "AIR": ("Air mail", "EUR", 500, 500, 20_000, 105, 200, "sum", 6000),
    "SAL": ("Surface air lifted (SAL)", "EUR", 1000, 1000, 30_000, 105, 200, "sum", 5000),
    "SEA": ("Sea mail", "EUR", 1000, 1000, 30_000, 150, 300, "girth", 0),
    "COURIER": ("Express courier", "EUR", 500, 500, 70_000, 270, 400, "girth", 5000),
}
# Per method, the zones it serves: zone, first price, step price, fewest and most transit days.
_ZONES: dict[str, list[tuple[int, str, str, int, int]]] = {
    "EMS": [
        (1, "12.00", "2.50", 2, 4),
        (2, "16.00", "4.00", 3, 6),
        (3, "18.00", "4.50", 3, 6),
        (4, "22.00", "6.00", 4, 8),
    ],
    "AIR": [
        (1, "8.00", "1.80", 4, 7),
        (2, "11.00", "2.80", 6, 12),
        (3, "12.00", "3.20", 6, 12),
        (4, "15.00", "4.20", 8, 15),
    ],
    "SAL": [
        (1, "7.00", "2.00", 7, 14),
        (2, "9.00", "3.50", 14, 21),
        (3, "10.00", "4.00", 14, 28),
        (4, "12.00", "5.00", 21, 35),
    ],
    "SEA": [(2, "6.00", "1.50", 30, 60), (3, "6.50", "1.60", 40, 70), (4, "7.50", "2.00", 45, 80)],
    "COURIER": [(1, "15.00", "2.00", 1, 3), (2, "22.00", "3.50", 2, 4), (3, "24.00", "3.80", 2, 4)],
}

DEFAULT_TABLES: dict[str, RateTable] = {
    method: RateTable(
        method,
        *limits,
        [
            ZoneRate(z, Decimal(first), Decimal(step), lo, hi)
            for z, first, step, lo, hi in _ZONES[method]
        ],
    )
    for method, limits in _LIMITS.items()
}
