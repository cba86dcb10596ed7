"""What the browser protections do in real Chromium (docs/design.md, "Browser protections"):
another site framing a gateway page gets no page (frame-ancestors 'none'), our own pages run
without a single Content-Security-Policy refusal, and the sign-up form says beside the
password field why a password is refused (R26), keeping the e-mail as typed. Only the
gateway is needed: it runs alone over a database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Frame

from tests.support.browser import CSP_REFUSAL, launch_chromium
from tests.support.infra import Infra
from tests.support.ports import serving
from tests.support.standalone_gateway import served, standalone_gateway


@pytest.fixture(scope="module")
def gateway_url(infra: Infra) -> Iterator[str]:
    with standalone_gateway(infra) as gateway, served(gateway) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Not watched: the framing page below is meant to be refused.
    with launch_chromium(watch_csp=False) as chromium:
        yield chromium


def _framing_site(target: str) -> ThreadingHTTPServer:
    """Another site (another port: another origin) whose page frames `target`."""
    page = f'<!doctype html><title>Framing</title><iframe src="{target}"></iframe>'.encode()

    class FramingPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            return

    return ThreadingHTTPServer(("127.0.0.1", 0), FramingPage)


@pytest.mark.parametrize("path", ["/signin", "/signup"])
def test_another_site_cannot_frame_a_gateway_page(
    browser: Browser, gateway_url: str, path: str
) -> None:
    with serving(_framing_site(gateway_url + path)) as site:
        page = browser.new_page()
        with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
            page.goto(f"http://localhost:{site.server_port}/")
        assert "frame-ancestors 'none'" in refusal.value.text
        framed: Frame = page.main_frame.child_frames[0]
        assert "password" not in framed.content()  # Chromium's error page, not ours
        assert not framed.url.startswith(gateway_url)
        page.close()


@pytest.mark.rule("R26")
def test_a_most_used_password_is_refused_beside_its_field_with_no_csp_refusal(
    browser: Browser, gateway_url: str
) -> None:
    page = browser.new_page()
    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if CSP_REFUSAL.search(message.text):
            refused.append(message.text)

    page.on("console", note)
    page.goto(gateway_url + "/signup")
    page.fill("#field-email", "maria.lind@example.com")
    page.fill("#field-password", "qwertyuiop")
    page.click("form[action='/signup'] button[type=submit]")
    assert page.text_content("#error-password") == (
        "This password is one of the most used ones; pick another."
    )
    assert page.input_value("#field-email") == "maria.lind@example.com"
    page.fill("#field-password", "Maria.Lind 2026")
    page.click("form[action='/signup'] button[type=submit]")
    assert page.text_content("#error-password") == (
        "This password contains your e-mail address; pick another."
    )
    assert refused == []
    page.close()
