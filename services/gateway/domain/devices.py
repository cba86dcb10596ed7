"""A browser's User-Agent in a few words a person recognises ("Firefox on Windows"), for the
account page's list of sessions. A rough reading on purpose: enough to tell one's phone from
one's laptop, never used to decide anything."""

from __future__ import annotations

# Checked in order: the first name found wins (Edge and Opera say "Chrome" too, Chrome says
# "Safari", so the more specific come first).
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("FxiOS/", "Firefox"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-requests/", "a script"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "a Mac"),
    ("Macintosh", "a Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
UNKNOWN = "An unknown browser"


def device_words(user_agent: str) -> str:
    """`user_agent` as "Browser on System" (or as much of it as is recognised)."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser[0].upper() + browser[1:]
    if system:
        return f"A browser on {system}"
    return UNKNOWN
