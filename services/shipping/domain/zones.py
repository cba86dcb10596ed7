"""Destination countries and their shipping zones (1 Asia, 2 North America, Oceania and the
Middle East, 3 Europe, 4 South America and Africa)."""

from __future__ import annotations

_ZONES: dict[int, str] = {
    1: "JP KR TW HK MO SG TH VN MY PH ID IN MN KH LA BN",
    2: "US CA MX AU NZ AE SA IL TR QA KW BH OM JO",
    3: (
        "FR DE GB IT ES NL BE CH AT SE NO DK FI PL PT IE CZ GR HU RO LU SK SI HR BG EE LV LT "
        "IS MT CY"
    ),
    4: "BR AR CL CO PE UY EC ZA EG NG KE MA TN GH ET TZ",
}
COUNTRY_ZONES: dict[str, int] = {
    country: zone for zone, countries in _ZONES.items() for country in countries.split()
}


def zone_of(country: str) -> int | None:
    """The zone of a destination country (None when we do not ship there)."""
    return COUNTRY_ZONES.get(country.upper())
