"""The pages' calls to the services: a form with files sent twice under one idempotency key is
the same request, byte for byte, so the service replays its answer instead of refusing it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from werkzeug.datastructures import Headers
from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

from services.gateway.adapters.upstream import ServiceClient, Upload, multipart
from tests.support.ports import serving

FILES: list[Upload] = [
    ("attachments", ("receipt.pdf", b"%PDF-1.4 the receipt", "application/pdf")),
    ("attachments", ("photo.png", b"\x89PNG\r\n\x1a\n the photo", "image/png")),
]
TEXT = {"text": "Where is my parcel? 包裹"}


@dataclass(frozen=True)
class Received:
    """One request as the service got it."""

    headers: Headers
    body: bytes

    @property
    def boundary(self) -> str:
        """The multipart boundary its Content-Type names."""
        return self.headers["Content-Type"].split("boundary=", 1)[1]


class Recorder(BaseHTTPRequestHandler):
    """Answers 201 with a JSON body, and keeps what it received."""

    received: list[Received]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append(Received(Headers(list(self.headers.items())), self.rfile.read(length)))
        answer = json.dumps({"message_id": "m-1"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def service() -> Iterator[tuple[ServiceClient, list[Received]]]:
    received: list[Received] = []
    handler = type("Handler", (Recorder,), {"received": received})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        yield ServiceClient({"messaging": url}, "unit-secret"), received


def _send(client: ServiceClient, key: str | None) -> None:
    answer = client.call(
        "messaging",
        "POST",
        "/orders/o-1/messages",
        None,
        data=TEXT,
        files=list(FILES),
        idempotency_key=key,
    )
    assert answer.status == 201 and answer.body == {"message_id": "m-1"}


def _form(received: Received) -> tuple[dict[str, list[str]], list[tuple[str, str, bytes, str]]]:
    environ = EnvironBuilder(
        method="POST",
        data=received.body,
        content_type=received.headers["Content-Type"],
    ).get_environ()
    _, form, files = parse_form_data(environ)
    uploads = [
        (name, upload.filename or "", upload.read(), upload.mimetype)
        for name, upload in files.items(multi=True)
    ]
    return form.to_dict(flat=False), uploads


def test_a_form_with_files_sent_twice_under_one_key_is_the_same_body(
    service: tuple[ServiceClient, list[Received]],
) -> None:
    client, received = service
    _send(client, "page-form-1")
    _send(client, "page-form-1")
    first, second = received
    assert first.body == second.body
    assert first.headers["Content-Type"] == second.headers["Content-Type"]
    assert first.headers["Idempotency-Key"] == "page-form-1"
    expected = "cnnect-" + hashlib.sha256(b"page-form-1").hexdigest()[:32]
    assert first.boundary == expected


def test_another_key_draws_another_boundary(
    service: tuple[ServiceClient, list[Received]],
) -> None:
    client, received = service
    _send(client, "page-form-1")
    _send(client, "page-form-2")
    assert received[0].boundary != received[1].boundary
    assert (
        received[0].body.replace(received[0].boundary.encode(), received[1].boundary.encode())
        == received[1].body
    )


@pytest.mark.parametrize("key", ["page-form-1", None], ids=["with-key", "without-key"])
def test_the_service_gets_the_fields_and_files_in_order_with_their_names(
    service: tuple[ServiceClient, list[Received]], key: str | None
) -> None:
    client, received = service
    _send(client, key)
    form, uploads = _form(received[0])
    assert form == {"text": [TEXT["text"]]}
    assert uploads == [
        (field, filename, content, content_type)
        for field, (filename, content, content_type) in FILES
    ]


def test_the_body_is_what_requests_would_send_but_for_the_boundary() -> None:
    body, content_type = multipart(TEXT, FILES, "page-form-1")
    theirs = requests.Request("POST", "http://service/", data=TEXT, files=FILES).prepare()
    assert isinstance(theirs.body, bytes)
    their_boundary = theirs.headers["Content-Type"].split("boundary=", 1)[1]
    ours = content_type.split("boundary=", 1)[1]
    assert body.replace(ours.encode(), their_boundary.encode()) == theirs.body


def test_a_file_holding_the_boundary_gets_another_one_still_the_same_each_time() -> None:
    usual = "cnnect-" + hashlib.sha256(b"page-form-1").hexdigest()[:32]
    forged: list[Upload] = [
        ("attachments", ("note.txt", f"x\r\n--{usual}\r\nforged".encode(), "text/plain"))
    ]
    body, content_type = multipart(TEXT, forged, "page-form-1")
    boundary = content_type.split("boundary=", 1)[1]
    assert boundary != usual and boundary.startswith("cnnect-")
    assert body.count(boundary.encode()) == 3  # two parts, and the closing delimiter
    assert multipart(TEXT, forged, "page-form-1") == (body, content_type)
