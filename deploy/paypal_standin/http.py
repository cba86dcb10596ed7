"""The stand-in's HTTP side: routes requests to PayPalStandIn and writes its replies."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from deploy.paypal_standin.pages import CHECKOUT_PATH

if TYPE_CHECKING:
    from deploy.paypal_standin.server import PayPalStandIn

HTML = "text/html; charset=utf-8"
_ORDER = re.compile(r"/v2/checkout/orders/([A-Za-z0-9-]+)")
_CAPTURE = re.compile(r"/v2/checkout/orders/([A-Za-z0-9-]+)/capture")
_REFUND = re.compile(r"/v2/payments/captures/([A-Za-z0-9-]+)/refund")


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, body, content type and extra headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = HTML


def json_reply(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer."""
    return Reply(status, json.dumps(data).encode(), headers or {}, "application/json")


def error(name: str, message: str, issue: str | None = None) -> dict[str, Any]:
    """PayPal's error document ({name, message, debug_id, details})."""
    details = [{"issue": issue, "description": message}] if issue else []
    return {"name": name, "message": message, "debug_id": secrets.token_hex(6), "details": details}


class Server(ThreadingHTTPServer):
    """The listening socket, knowing its stand-in."""

    daemon_threads = True
    standin: PayPalStandIn


class Handler(BaseHTTPRequestHandler):
    """One request: GET (certificate, approval page, an order) or POST (the API, the buyer)."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the e2e tests and `make run` have logs enough."""

    @property
    def standin(self) -> PayPalStandIn:
        """The stand-in this server serves."""
        return cast(Server, self.server).standin

    def do_GET(self) -> None:
        """The certificate, the approval page or an order."""
        path, _, query = self.path.partition("?")
        failed = self.standin.injected_failure(path)
        if failed is not None:
            self._send(failed)
        elif path == self.standin.cert_path:
            self._send(Reply(200, self.standin.cert_pem, content_type="application/x-pem-file"))
        elif path == CHECKOUT_PATH:
            self._send(self.standin.checkout(parse_qs(query).get("token", [""])[0]))
        elif (found := _ORDER.fullmatch(path)) and self._authorized():
            self._send(self.standin.get_order(found.group(1)))
        elif not _ORDER.fullmatch(path):
            self._send(json_reply(404, error("RESOURCE_NOT_FOUND", self.path)))

    def do_POST(self) -> None:
        """The OAuth2 token, orders, captures, refunds, and the buyer's decision."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        failed = self.standin.injected_failure(path)
        request_id = self.headers.get("PayPal-Request-Id")
        if failed is not None:
            self._send(failed)
        elif path == "/v1/oauth2/token":
            self._send(self.standin.issue_token(self.headers.get("Authorization", ""), body))
        elif path == CHECKOUT_PATH:
            form = parse_qs(body.decode())
            token = form.get("token", [""])[0]
            self._send(self.standin.buyer_decides(token, form.get("action", ["approve"])[0]))
        elif not self._authorized():
            return
        elif path == "/v2/checkout/orders":
            document = self._json(body)
            if document is not None:
                self._send(self.standin.create_order(request_id, document))
        elif found := _CAPTURE.fullmatch(path):
            self._send(self.standin.capture(found.group(1), request_id))
        elif found := _REFUND.fullmatch(path):
            document = self._json(body or b"{}")
            if document is not None:
                self._send(self.standin.refund(found.group(1), document))
        else:
            self._send(json_reply(404, error("RESOURCE_NOT_FOUND", self.path)))

    def _authorized(self) -> bool:
        if self.standin.authorized(self.headers.get("Authorization", "")):
            return True
        self._send(json_reply(401, error("AUTHENTICATION_FAILURE", "Authentication failed")))
        return False

    def _json(self, body: bytes) -> dict[str, Any] | None:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            self._send(json_reply(400, error("INVALID_REQUEST", "Request is not well-formed")))
            return None
        return document

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
