"""Hostile uploads on every door that takes files: message attachments (messaging), inspection
photos (orders, staff) and reception problem pictures (orders, the customer). Polyglots
(an image that is also HTML), oversized, truncated, too many, and a type claimed that the
content is not: each request is refused whole, with no event and no file row stored. A file
is judged by its bytes only: a real image sent under an HTML name and type is stored, and
served, as the image it is.

Already proven in tests/e2e/test_messaging_rules.py (test_R14_a_message_with_a_bad_...): a
renamed executable, a GIF with HTML after its end, a PDF with JavaScript, a fourth file, 10 MB
+ 1 and an empty file as attachments; in tests/e2e/test_order_rules.py (test_R18_...): a
truncated PNG and HTML behind a PNG signature as inspection photos."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.images import (
    MARKUP,
    jpeg,
    jpeg_with_comment,
    pdf,
    png,
    png_with_text,
    truncated_jpeg,
    truncated_png,
)
from tests.support.journey import Journey, ok_json
from tests.support.stored import nothing_stored
from tests.support.system import System, poll

TEN_MB = 10 * 1024 * 1024
Upload = tuple[str, tuple[str, bytes, str]]  # (field, (file name, content, claimed type))


def _files(field: str, *files: tuple[str, bytes, str]) -> list[Upload]:
    return [(field, f) for f in files]


def _hostile(field: str, limit: int) -> dict[str, list[Upload]]:
    """Uploads that must each be refused, by what is wrong with them."""
    return {
        "jpeg with HTML in its comment": _files(
            field, ("a.jpg", jpeg_with_comment(), "image/jpeg")
        ),
        "png with HTML in a text chunk": _files(field, ("a.png", png_with_text(), "image/png")),
        "png followed by HTML": _files(field, ("a.png", png() + MARKUP, "image/png")),
        "larger than 10 MB": _files(
            field, ("big.png", png() + bytes(TEN_MB + 1 - len(png())), "image/png")
        ),
        "truncated jpeg": _files(field, ("cut.jpg", truncated_jpeg(), "image/jpeg")),
        "truncated png": _files(field, ("cut.png", truncated_png(), "image/png")),
        "HTML claimed as a png": _files(field, ("photo.png", MARKUP, "image/png")),
        f"{limit + 1} files": _files(
            field, *[(f"p{n}.png", png(), "image/png") for n in range(limit + 1)]
        ),
    }


def _refused_storing_nothing(
    system: System, send: Any, uploads: dict[str, list[Upload]], table: tuple[str, str]
) -> None:
    with nothing_stored(system, table):
        for reason, files in uploads.items():
            answer = send(files)
            assert answer.status_code in (400, 413), f"{reason}: {answer.status_code}"
            assert set(answer.json()) == {"error", "message"}, reason


def _post(
    system: System, service: str, path: str, form: dict[str, str], files: list[Upload], who: Any
) -> requests.Response:
    return requests.post(system.url(service, path), data=form, files=files, headers=who, timeout=60)


@pytest.mark.rule("R14")
def test_R14_hostile_message_attachments_are_refused_and_a_file_is_what_its_bytes_are(
    system: System,
) -> None:
    journey = Journey(system, "cus-attack-files")
    journey.place()
    journey.conversation()
    path = f"/orders/{journey.order_id}/messages"

    def send(files: list[Upload]) -> requests.Response:
        return _post(system, "messaging", path, {"text": "see attached"}, files, journey.customer)

    uploads = {
        reason: files
        for reason, files in _hostile("attachments", 3).items()
        if reason not in ("larger than 10 MB", "4 files")  # proven in test_messaging_rules
    }
    _refused_storing_nothing(system, send, uploads, ("messaging", "attachments"))
    accepted = send(_files("attachments", ("page.html", jpeg(), "text/html")))
    assert accepted.status_code == 201, accepted.text
    listed = poll(lambda: ok_json(journey.get("messaging", path)), lambda m: m and m["messages"])
    [attachment_id] = listed["messages"][0]["attachment_ids"]
    served = journey.get("messaging", f"/attachments/{attachment_id}")
    assert served.headers["Content-Type"] == "image/jpeg" and served.content == jpeg()
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    # An inert image opens inline under its name; the name never changes what it is (R14).
    assert served.headers["Content-Disposition"].startswith('inline; filename="page.html"')


@pytest.mark.rule("R18")
def test_R18_hostile_inspection_photos_are_refused_and_a_photo_is_what_its_bytes_are(
    system: System,
) -> None:
    journey = Journey(system, "cus-attack-photos")
    journey.place()
    journey.paid_first()
    for action in ("purchased", "arrival"):
        assert journey.staff_item("itm-1", action).status_code == 200
    path = f"/orders/{journey.order_id}/items/itm-1/inspection"
    form = {"checked_quantity": "2", "type_matches": "true", "weight_grams": "800"}

    def send(files: list[Upload]) -> requests.Response:
        return _post(system, "orders", path, form, files, journey.staff)

    uploads = {
        **_hostile("photos", 10),
        "a PDF claimed as a jpeg": _files("photos", ("photo.jpg", pdf(), "image/jpeg")),
    }
    _refused_storing_nothing(system, send, uploads, ("orders", "inspection_photos"))
    accepted = send(_files("photos", ("item.html", jpeg(), "text/html")))
    assert accepted.status_code == 200, accepted.text
    order = poll(journey.order, lambda o: o["items"][0]["photo_ids"])
    photo = journey.get(
        "orders", f"/orders/{journey.order_id}/photos/{order['items'][0]['photo_ids'][0]}"
    )
    assert photo.headers["Content-Type"] == "image/jpeg" and photo.content == jpeg()
    assert photo.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.rule("R23")
def test_R23_hostile_reception_pictures_are_refused_and_the_order_stays_as_it_was(
    system: System,
) -> None:
    journey = Journey(system, "cus-attack-reception")
    journey.to_shipped(["EA100000001CN", "EA100000002CN"])
    path = f"/orders/{journey.order_id}/reception-report"
    form = {"all_well": "false", "comment": "the mug arrived broken"}

    def send(files: list[Upload]) -> requests.Response:
        return _post(system, "orders", path, form, files, journey.customer)

    _refused_storing_nothing(system, send, _hostile("photos", 10), ("orders", "inspection_photos"))
    assert journey.order()["status"] == "shipped"
