"""The browser toolchain works: Playwright drives the system chromium on a local page, runs its
script, and leaves a PNG screenshot in the artifacts folder."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.browser import launch_chromium, save_screenshot
from tests.support.ports import serving

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>toolchain</title></head>
<body>
  <p id="status">waiting</p>
  <button id="go" type="button">Go</button>
  <script>
    document.getElementById("go").addEventListener("click", () => {
      document.getElementById("status").textContent = "clicked";
    });
  </script>
</body></html>
"""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Page(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


@pytest.fixture
def page_url() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Page)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/"


def test_chromium_runs_a_pages_script_and_leaves_a_screenshot(page_url: str) -> None:
    with launch_chromium() as browser:
        page = browser.new_page()
        page.goto(page_url)
        assert page.text_content("#status") == "waiting"
        page.click("#go")
        page.wait_for_function("document.getElementById('status').textContent === 'clicked'")
        assert page.text_content("#status") == "clicked"
        shot = save_screenshot(page, "browser-toolchain")
    assert shot.is_file()
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
