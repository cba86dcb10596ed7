"""Browser tests: Playwright's sync API driving Debian's chromium through `executable_path`.

No browser build is ever downloaded (`playwright install` never runs): `make install` installs
Debian's `chromium` package, and a missing binary fails the test instead of skipping it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# --no-sandbox: tests run as root in containers, where chromium's sandbox cannot start.
# The rest keep a test browser from reaching out on its own (updates, sync, QUIC probes).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# How Chromium's console says the Content-Security-Policy blocked something (older versions
# begin "Refused to ...", newer ones say "... violates the following Content Security Policy").
CSP_REFUSAL = re.compile(r"Content Security Policy|Refused to")


def chromium_path() -> Path:
    """The chromium binary the tests drive: CNNECT_CHROMIUM, else /usr/bin/chromium."""
    return Path(os.environ.get("CNNECT_CHROMIUM") or DEFAULT_CHROMIUM)


@contextmanager
def launch_chromium(*, watch_csp: bool = True) -> Iterator[Browser]:
    """A headless chromium (see chromium_path) under Playwright, closed on exit. With
    `watch_csp`, every page it opens listens for what the Content-Security-Policy refused,
    and the run fails at the end if anything was (a page that needs an inline script)."""
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"chromium not found at {path}: `make install` installs it (Debian's chromium "
            "package); CNNECT_CHROMIUM names another binary",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(path), headless=True, args=list(CHROMIUM_ARGS)
        )
        refusals: list[str] = []
        if watch_csp:
            report_csp_refusals(browser, refusals)
        try:
            yield browser
        finally:
            browser.close()
        if refusals:
            pytest.fail("the Content-Security-Policy refused:\n" + "\n".join(refusals))


def report_csp_refusals(browser: Browser, refusals: list[str]) -> None:
    """Make every context and page `browser` opens add the CSP's refusals to `refusals`
    (one listener per context: cheap, and no test has to remember it)."""

    def note(message: ConsoleMessage) -> None:
        if CSP_REFUSAL.search(message.text):
            refusals.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def watched(context: BrowserContext) -> BrowserContext:
        context.on("console", note)
        return context

    new_context, new_page = browser.new_context, browser.new_page

    def watched_page(**options: Any) -> Page:
        page = new_page(**options)
        watched(page.context)
        return page

    # Wrapped on this instance only: the tests keep calling browser.new_context() as usual.
    def watched_context(**options: Any) -> BrowserContext:
        return watched(new_context(**options))

    browser.new_context = watched_context  # type: ignore[method-assign]
    browser.new_page = watched_page  # type: ignore[method-assign]


def artifact_dir() -> Path:
    """Where tests leave screenshots: CNNECT_ARTIFACTS, else <repo>/artifacts (created)."""
    path = Path(os.environ.get("CNNECT_ARTIFACTS") or ROOT / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of `page` as <artifact_dir>/<name>.png and return its path."""
    path = artifact_dir() / f"{_UNSAFE_NAME.sub('_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
