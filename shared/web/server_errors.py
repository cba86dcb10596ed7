"""The answers gunicorn gives by itself, before any app sees the request (a request line too
long, a header it cannot parse), in our error body instead of gunicorn's HTML page, so that a
client reads every refusal the same way: {"error": code, "message": text}."""

from __future__ import annotations

import json
import socket


def answer_server_errors_in_json() -> None:
    """Make this process's gunicorn write its own error answers as our JSON error body."""
    from gunicorn import util

    # gunicorn's workers call util.write_error for every request they refuse themselves; it
    # has no setting for the format, and replacing it keeps gunicorn's own choice of status,
    # logging and closing of the connection.
    util.write_error = write_json_error


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's `util.write_error`, answering JSON."""
    from gunicorn import util

    body = json.dumps(
        {"error": reason.lower().replace(" ", "_"), "message": mesg or reason}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
