"""The messaging rules through the HTTP API of the real processes (database and broker real)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.images import gif, html_posing_as_png, jpeg, pdf, png, webp
from tests.support.journey import Journey
from tests.support.rebuild import assert_rebuild_equals_live
from tests.support.smtp_server import SmtpTestServer
from tests.support.system import System, poll

TEN_MB = 10 * 1024 * 1024
OPEN_ACTION_JAVASCRIPT = b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "


def _placed(system: System, customer: str) -> Journey:
    journey = Journey(system, customer)
    journey.place()
    journey.conversation()
    return journey


def _post(
    journey: Journey,
    text: str,
    files: list[tuple[str, bytes]] | None = None,
    who: dict[str, str] | None = None,
    **form: str,
) -> requests.Response:
    return requests.post(
        journey.system.url("messaging", f"/orders/{journey.order_id}/messages"),
        data={"text": text, **form},
        files=[
            ("attachments", (name, data, "application/octet-stream")) for name, data in files or []
        ],
        headers=who or journey.customer,
        timeout=60,
    )


def _messages(journey: Journey, who: dict[str, str] | None = None) -> dict[str, Any]:
    response = journey.get("messaging", f"/orders/{journey.order_id}/messages", who)
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.rule("R7", "R14")
def test_R7_messages_are_listed_oldest_first_with_read_state_and_attachments(
    system: System,
) -> None:
    journey = _placed(system, "cus-m7")
    allowed = [("a.jpg", jpeg()), ("b.png", png()), ("../../etc/passwd", pdf())]
    first = _post(journey, "Is the tote navy?", allowed)
    assert first.status_code == 201, first.text
    assert (
        _post(journey, "Also GIF and WEBP", [("c.gif", gif()), ("d.webp", webp())]).status_code
        == 201
    )
    reply = _post(journey, "Yes, navy.", who=journey.staff)
    assert reply.status_code == 201
    listed = poll(lambda: _messages(journey), lambda m: len(m["messages"]) == 3)
    assert [m["sender_role"] for m in listed["messages"]] == ["customer", "customer", "staff"]
    assert listed["unread"] == 1
    staff_view = _messages(journey, journey.staff)
    assert staff_view["unread"] == 2
    queue = journey.get("messaging", "/queues/awaiting-reply", journey.staff).json()
    assert all(c["order_id"] != journey.order_id for c in queue["conversations"])
    assert (
        journey.post("messaging", f"/orders/{journey.order_id}/messages/read", {}).status_code
        == 200
    )
    poll(lambda: _messages(journey), lambda m: m["unread"] == 0)
    attachment_id = listed["messages"][0]["attachment_ids"][2]
    url = system.url("messaging", f"/attachments/{attachment_id}")
    mine = requests.get(url, headers=journey.customer, timeout=10)
    assert mine.status_code == 200 and mine.content == pdf()
    assert mine.headers["Content-Type"] == "application/pdf"
    assert mine.headers["Content-Disposition"].startswith('inline; filename="passwd"')
    saved = requests.get(url, params={"download": "1"}, headers=journey.customer, timeout=10)
    assert saved.headers["Content-Disposition"].startswith('attachment; filename="passwd"')
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(url, headers=journey.staff, timeout=10).status_code == 200
    assert requests.get(url, headers=system.token("cus-other"), timeout=10).status_code == 404
    assert _messages(journey, system.token("cus-other")) == {
        "error": "not_found",
        "message": f"no conversation {journey.order_id}",
    }


@pytest.mark.rule("R7", "R14")
def test_R14_an_attachment_says_its_name_type_and_size_opens_inline_and_downloads_by_name(
    system: System,
) -> None:
    journey = _placed(system, "cus-m7-names")
    sent = _post(journey, "The receipt and the label", [("領収書.pdf", pdf()), ("tag.png", png())])
    assert sent.status_code == 201, sent.text
    listed = poll(lambda: _messages(journey), lambda m: len(m["messages"]) == 1)
    described = listed["messages"][0]["attachments"]
    assert [(a["name"], a["media_type"], a["size"]) for a in described] == [
        ("領収書.pdf", "application/pdf", len(pdf())),
        ("tag.png", "image/png", len(png())),
    ]
    pdf_url = system.url("messaging", described[0]["href"].removeprefix("/api/messaging"))
    opened = requests.get(pdf_url, headers=journey.customer, timeout=10)
    assert opened.content == pdf() and opened.headers["Content-Type"] == "application/pdf"
    # Opens in the browser, with a name that survives in both the old and the RFC 6266 form.
    assert opened.headers["Content-Disposition"] == (
        "inline; filename=\"___.pdf\"; filename*=UTF-8''%E9%A0%98%E5%8F%8E%E6%9B%B8.pdf"
    )
    saved = requests.get(pdf_url, params={"download": "1"}, headers=journey.customer, timeout=10)
    assert saved.headers["Content-Disposition"].startswith('attachment; filename="___.pdf"')


@pytest.mark.rule("R14")
@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ([("photo.jpg", b"MZ\x90\x00" + b"\x00" * 64)], "accepted kind"),
        ([("cute.gif", gif() + b"<html><script>alert(1)</script></html>")], "markup"),
        (
            [
                (
                    "bill.pdf",
                    pdf(catalog_extra=OPEN_ACTION_JAVASCRIPT),
                )
            ],
            "JavaScript",
        ),
        ([("a.png", png()), ("b.png", png()), ("c.png", png()), ("d.png", png())], "at most 3"),
        ([("big.pdf", pdf() + b" " * (TEN_MB + 1 - len(pdf())))], "10 MB"),
        ([("empty.png", b"")], "empty"),
        ([("fake.png", html_posing_as_png())], "png"),
    ],
    ids=[
        "renamed-exe",
        "gif-html-polyglot",
        "pdf-javascript",
        "fourth-file",
        "10MB+1",
        "empty",
        "html-as-png",
    ],
)
def test_R14_a_message_with_a_bad_attachment_is_refused_and_stores_nothing(
    system: System, files: list[tuple[str, bytes]], reason: str
) -> None:
    journey = _placed(system, f"cus-m14-{reason[:6].strip()}")
    refused = _post(journey, "see attached", files)
    assert refused.status_code in (400, 413), refused.text
    assert reason.lower() in refused.text.lower()
    assert _messages(journey)["messages"] == []


@pytest.mark.rule("R12")
@pytest.mark.parametrize("outcome", ["cancelled", "completed"])
def test_R12_messages_close_30_days_after_the_order_ended(system: System, outcome: str) -> None:
    journey = Journey(system, f"cus-m12-{outcome}")
    if outcome == "cancelled":
        journey.place()
        journey.billings(1)
        assert journey.post("orders", f"/orders/{journey.order_id}/cancel", {}).status_code == 200
    else:
        journey.to_shipped(["EE400000000CN", "EE400000001CN"])
        assert (
            journey.post(
                "orders", f"/orders/{journey.order_id}/reception-report", {"all_well": True}
            ).status_code
            == 200
        )
    journey.conversation(lambda c: c["order_outcome"] == outcome)
    assert _post(journey, "still there?").status_code == 201
    for days, expected in ((29, 201), (31, 409)):
        system.kill("messaging-api")
        system.env["CNNECT_CLOCK_OFFSET_S"] = str(days * 24 * 3600)
        try:
            system.start("messaging-api")
            system.wait_healthy("messaging")
            answer = _post(journey, f"{days} days later")
            assert answer.status_code == expected, answer.text
        finally:
            system.kill("messaging-api")
            system.env.pop("CNNECT_CLOCK_OFFSET_S")
            system.start("messaging-api")
            system.wait_healthy("messaging")


@pytest.mark.rule("R13")
def test_R13_a_confirm_before_purchasing_message_holds_the_purchase(system: System) -> None:
    journey = _placed(system, "cus-m13")
    sent = _post(
        journey, "Only the navy one, please confirm", kind="purchase_condition", item_id="itm-1"
    )
    assert sent.status_code == 201, sent.text
    poll(journey.order, lambda o: o["items"][0]["condition"] is not None)
    journey.paid_first()
    refused = journey.staff_item("itm-1", "purchased")
    assert refused.status_code == 409 and "seller" in refused.json()["message"]


@pytest.mark.rule("R13", "R19")
def test_R13_R19_a_message_naming_an_item_not_on_the_order_is_refused_and_stores_nothing(
    system: System,
) -> None:
    journey = _placed(system, "cus-m13-unknown")
    refused = _post(journey, "x", kind="purchase_condition", item_id="itm-999")
    assert refused.status_code == 400, refused.text
    assert "itm-999" in refused.json()["message"]
    exchange = _post(journey, "Exchange it", kind="exchange_request", item_id="itm-999")
    assert exchange.status_code == 400, exchange.text
    staff = _post(journey, "x", who=journey.staff, kind="purchase_condition", item_id="itm-999")
    assert staff.status_code == 400, staff.text
    assert _messages(journey)["messages"] == []
    assert all(i["condition"] is None for i in journey.order()["items"])


@pytest.mark.rule("R19")
def test_R19_an_exchange_request_naming_an_item_shows_the_staff_which_item(
    system: System,
) -> None:
    journey = _placed(system, "cus-m19-item")
    asked = _post(journey, "The mug is chipped", kind="exchange_request", item_id="itm-2")
    assert asked.status_code == 201, asked.text
    [request] = poll(lambda: _messages(journey), lambda m: len(m["messages"]) == 1)["messages"]
    assert request["kind"] == "exchange_request" and request["item_id"] == "itm-2"
    queue = journey.get("messaging", "/queues/requests", journey.staff).json()
    [queued] = [m for m in queue["messages"] if m["order_id"] == journey.order_id]
    assert queued["item_id"] == "itm-2"


@pytest.mark.rule("R19", "R23")
def test_R19_R23_requests_and_reception_problems_reach_the_staff_queue(system: System) -> None:
    journey = _placed(system, "cus-m19")
    assert _post(journey, "Please exchange the mug", kind="exchange_request").status_code == 201
    other = Journey(system, "cus-m23")
    other.to_shipped(["EE500000000CN", "EE500000001CN"])
    other.report_problem("The mug is broken", jpeg())
    queue = poll(
        lambda: journey.get("messaging", "/queues/requests", journey.staff).json(),
        lambda q: {journey.order_id, other.order_id} <= {m["order_id"] for m in q["messages"]},
    )
    kinds = {m["order_id"]: m["kind"] for m in queue["messages"]}
    assert kinds[journey.order_id] == "exchange_request" and kinds[other.order_id] == "problem"
    problem = _messages(other)["messages"][-1]
    assert problem["kind"] == "problem" and problem["text"] == "The mug is broken"
    [picture] = problem["attachment_ids"]
    photo_id = picture.removeprefix("orders-photo:")
    photo = other.get("orders", f"/orders/{other.order_id}/photos/{photo_id}")
    assert photo.status_code == 200 and photo.content == jpeg()


def test_inquiries_from_visitors_and_customers_are_answered_by_staff(system: System) -> None:
    url = system.url("messaging", "/inquiries")
    anonymous = requests.post(url, json={"text": "Do you ship to Chile?"}, timeout=10)
    assert anonymous.status_code == 400
    visitor = requests.post(
        url, json={"email": "ana@example.cl", "text": "Do you ship to Chile?"}, timeout=10
    )
    assert visitor.status_code == 201
    customer = system.token("cus-inq")
    mine = requests.post(url, json={"text": "Deposit question"}, headers=customer, timeout=10)
    assert mine.status_code == 201
    staff = system.token("staff-wei", "staff")
    answer = requests.post(
        f"{url}/{visitor.json()['inquiry_id']}/answers",
        json={"text": "Yes, by EMS."},
        headers=staff,
        timeout=10,
    )
    assert answer.status_code == 201
    listed = poll(
        lambda: requests.get(url, headers=customer, timeout=10).json(),
        lambda body: len(body["inquiries"]) == 1,
    )
    assert listed["inquiries"][0]["conversation_id"] == mine.json()["inquiry_id"]


def test_the_customer_is_emailed_once_per_billing_and_on_a_staff_reply(
    system: System, smtp: SmtpTestServer
) -> None:
    journey = Journey(system, "cus-mail")
    registered = requests.put(
        system.url("messaging", "/customers/cus-mail/email"),
        json={"email": "mail@example.com"},
        headers=journey.staff,
        timeout=10,
    )
    assert registered.status_code == 200
    journey.place()
    journey.conversation()
    mails = poll(
        lambda: [m for m in smtp.messages if journey.order_id in m.body],
        lambda found: len(found) >= 1,
    )
    [billing] = mails
    assert billing.rcpt_tos == ("mail@example.com",) and "19.33" in billing.body
    assert f"/billings/{journey.order_id}-1/pay" in billing.body
    assert _post(journey, "We checked the colour: navy.", who=journey.staff).status_code == 201
    poll(
        lambda: [m for m in smtp.messages if journey.order_id in m.body],
        lambda found: len(found) == 2,
    )


def test_the_messaging_projection_rebuilt_from_zero_equals_the_live_one(system: System) -> None:
    live = assert_rebuild_equals_live(system, "messaging")
    assert live[0]["messages"], "the flows above posted messages"
