"""What gunicorn answers by itself (a request line too long, a header it cannot read) is our
JSON error body, not its HTML page."""

from __future__ import annotations

import json
import socket

from shared.web.server_errors import write_json_error


def test_gunicorn_refusals_are_our_error_body() -> None:
    server, client = socket.socketpair()
    with server, client:
        write_json_error(server, 414, "URI Too Long", "Request Line is too large (8192 > 4094)")
        server.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: client.recv(4096), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 414 URI Too Long"
    assert "Content-Type: application/json" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert json.loads(body) == {
        "error": "uri_too_long",
        "message": "Request Line is too large (8192 > 4094)",
    }
