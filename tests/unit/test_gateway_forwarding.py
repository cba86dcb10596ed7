"""Forwarding to a service over the gateway's own kept-alive connections: what goes out, what
comes back, one connection reused for a thread's requests, a connection the service closed
while idle replaced, no answer a 503's reason, and the request target urllib3 would send."""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Response
from urllib3.util import parse_url
from werkzeug.datastructures import Headers

from services.gateway.adapters import connections
from services.gateway.adapters.upstream import ServiceUnavailableError, forward, forward_raw
from shared.events.consistency import HEADER as POSITION_HEADER
from shared.web.identity import Identity, verify_token
from tests.support.ports import free_port, serving
from tests.support.waiting import wait_until

SECRET = "unit-secret"


@dataclass
class Seen:
    """What the service received: each request's method, target, headers, body, and the
    client's port (a new port is a new connection)."""

    requests: list[tuple[str, str, Headers, bytes, int]] = field(default_factory=list)
    close_after_answer: bool = False


class Service(BaseHTTPRequestHandler):
    """An HTTP/1.1 service that keeps connections open, answers a small JSON body (chunked
    under /chunked), and, when told, closes the connection after answering without saying so."""

    protocol_version = "HTTP/1.1"
    seen: Seen

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = Headers(list(self.headers.items()))
        self.seen.requests.append((self.command, self.path, headers, body, self.client_address[1]))
        answer = b'{"ok": true}'
        self.send_response(201 if self.command == "POST" else 200)
        if not self.path.startswith("/bare"):
            self.send_header("Content-Type", "application/json")
        self.send_header("X-Internal", "not for the client")
        self.send_header("Idempotent-Replayed", "true")
        self.send_header(POSITION_HEADER, "orders.7")
        if self.path.startswith("/chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (answer[:5], answer[5:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        self.wfile.flush()
        if self.seen.close_after_answer:
            self.close_connection = True

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def service() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    handler = type("Handler", (Service,), {"seen": seen})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    connections.close_held()


def _forward(
    base: str, method: str = "GET", path: str = "/orders/o-1", query: bytes = b"", body: bytes = b""
) -> Response:
    client_headers = Headers(
        {
            "Content-Type": "application/json",
            "Idempotency-Key": "k-1",
            "Authorization": "Bearer the client's own",
            "Cookie": "cnnect_session=secret",
            "X-Correlation-Id": "not passed on",
        }
    )
    return forward(
        base,
        method,
        path,
        query,
        body,
        client_headers,
        Identity("cus-1", "customer"),
        SECRET,
    )


def test_the_answer_is_relayed_with_the_chosen_headers_only(service: tuple[str, Seen]) -> None:
    base, seen = service
    relayed = _forward(base, "POST", body=b'{"a": 1}', query=b"x=1")
    assert relayed.status_code == 201
    assert relayed.get_data() == b'{"ok": true}'
    assert relayed.headers["Idempotent-Replayed"] == "true"
    assert relayed.headers[POSITION_HEADER] == "orders.7"
    assert "X-Internal" not in relayed.headers
    method, target, headers, body, _ = seen.requests[0]
    assert (method, target, body) == ("POST", "/orders/o-1?x=1", b'{"a": 1}')
    assert headers["Idempotency-Key"] == "k-1" and headers["Content-Length"] == "8"
    assert "Cookie" not in headers and "X-Correlation-Id" not in headers
    token = headers["Authorization"].removeprefix("Bearer ")
    assert verify_token(SECRET, token) == Identity("cus-1", "customer")
    assert headers["Accept-Encoding"] == "identity"
    assert headers["User-Agent"].startswith("python-urllib3/")


def test_a_threads_requests_share_one_connection(service: tuple[str, Seen]) -> None:
    base, seen = service
    for _ in range(3):
        _forward(base)
    assert len({port for *_, port in seen.requests}) == 1
    other: list[int] = []

    def from_another_thread() -> None:
        other.append(_forward(base).status_code)
        connections.close_held()

    worker = threading.Thread(target=from_another_thread)
    worker.start()
    worker.join()
    assert other == [200]
    assert len({port for *_, port in seen.requests}) == 2  # another thread, its own


def test_a_connection_the_service_closed_while_idle_is_replaced(
    service: tuple[str, Seen],
) -> None:
    base, seen = service
    seen.close_after_answer = True
    _forward(base)
    kept = connections._held()[base][0]
    assert kept.sock is not None
    wait_until(lambda: bool(select.select([kept.sock], [], [], 0)[0]), "the service closed it")
    seen.close_after_answer = False
    assert _forward(base).status_code == 200
    assert seen.requests[0][4] != seen.requests[1][4]


def test_a_chunked_answer_is_read_whole(service: tuple[str, Seen]) -> None:
    base, _ = service
    relayed = _forward(base, path="/chunked")
    assert relayed.get_data() == b'{"ok": true}'
    assert _forward(base).status_code == 200


def test_no_answer_is_a_service_unavailable() -> None:
    with pytest.raises(ServiceUnavailableError):
        _forward(f"http://127.0.0.1:{free_port()}")


def test_a_webhook_is_passed_on_with_its_own_headers(service: tuple[str, Seen]) -> None:
    base, seen = service
    relayed = forward_raw(
        f"{base}/webhooks/bank",
        b"notice",
        {"Content-Type": "text/plain", "X-Signature": "abc", "Connection": "keep-alive"},
    )
    assert relayed.status_code == 201
    assert relayed.headers["Content-Type"] == "application/json"
    _, target, headers, body, _ = seen.requests[0]
    assert (target, body, headers["X-Signature"]) == ("/webhooks/bank", b"notice", "abc")
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    "target",
    [
        "/orders/o-1",
        "/orders/o-1/items?page=2&size=10",
        "/orders/a b",
        "/orders/ünï",
        "/orders/x/../metrics",
        "/orders/./o-1",
        "/orders/o%2f1?q=%e2%82%ac",
        "/orders/o%zz",
        "/a//b?x=a b&y=<>",
        "",
    ],
)
def test_the_request_target_is_the_one_urllib3_sends(target: str) -> None:
    assert connections.request_target(target) == parse_url(f"http://h{target}").request_uri


def test_an_answer_without_a_content_type_gets_flasks_default(service: tuple[str, Seen]) -> None:
    base, _ = service
    assert _forward(base, path="/bare").headers["Content-Type"] == "text/html; charset=utf-8"
    assert _forward(base).headers["Content-Type"] == "application/json"
