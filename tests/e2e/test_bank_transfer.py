"""Paying by bank transfer as a customer can (R9): the payment page gives the account and a
transfer reference; a reported transfer withholds the card until the bank's signed notice
(sent by `python -m services.billing send-bank-notice`) is matched by that reference, or the
report is withdrawn; short and excess transfers are told in words; staff see reported
transfers not yet matched and transfers nobody reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from services.billing.domain.transfer import billing_of_reference
from tests.support.bank_command import send_bank_notice
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.journey import Journey, ok_json
from tests.support.pages import reload_until, sign_in
from tests.support.rebuild import assert_rebuild_equals_live
from tests.support.system import System, poll, staff_session

PASSWORD = "correct horse battery"
WIDTHS = (1280, 375)


def _billing(journey: Journey, billing_id: str) -> Any:
    return ok_json(journey.get("billing", f"/billings/{billing_id}"))


def _report(journey: Journey, billing: dict[str, Any], amount: str) -> requests.Response:
    return journey.post(
        "billing",
        f"/billings/{billing['billing_id']}/payment-reports",
        {
            "payer_name": "ALICE MARTIN",
            "paid_on": datetime.now(UTC).date().isoformat(),
            "amount": amount,
            "currency": "EUR",
        },
    )


def _queue(journey: Journey, path: str, key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = journey.get("billing", path, journey.staff).json()[key]
    return rows


def _second_billing(system: System) -> tuple[Journey, dict[str, Any]]:
    _, journey = Journey.signed_up(system, f"bank-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    journey.place()
    journey.pay("first")
    journey.inspect()
    journey.pack()
    second = next(b for b in journey.billings(2) if b["kind"] == "second")
    return journey, second


@pytest.mark.rule("R9", "R10")
def test_R9_a_reported_transfer_withholds_the_card_until_its_signed_notice_pays_the_billing(
    system: System,
) -> None:
    journey, second = _second_billing(system)
    bid, amount = second["billing_id"], second["amount"]
    page = journey.get("billing", f"/billings/{bid}/payment-page").json()
    transfer = page["bank_transfer"]
    reference = transfer["reference"]
    assert reference == second["transfer_reference"] and reference.startswith("CN-")
    assert billing_of_reference(reference) == bid
    assert transfer["account"]["development"] is True and transfer["account"]["holder"]
    assert transfer["amount"] == amount and page["card_withheld"] is False

    reported = _report(journey, second, amount)
    assert reported.status_code == 201, reported.text
    sentence = reported.json()["report"]["sentence"]
    assert sentence.startswith(f"Transfer of {amount} EUR reported on ")
    assert "expected to be confirmed by " in sentence and " time, a business day" in sentence

    # The card is withheld while the transfer is awaited: no paying twice by accident.
    checkout = journey.post(
        "billing",
        f"/billings/{bid}/card-payments",
        {"return_url": "http://127.0.0.1/back", "cancel_url": "http://127.0.0.1/cancel"},
    )
    assert checkout.status_code == 409, checkout.text
    assert "You reported a bank transfer of" in checkout.json()["message"]
    assert _report(journey, second, amount).status_code == 409  # one report at a time

    # A mistaken report is withdrawn: the card is offered again; then reported for real.
    report_id = reported.json()["report_id"]
    withdrawal = f"/billings/{bid}/payment-reports/{report_id}/withdrawal"
    assert journey.post("billing", withdrawal, {}).status_code == 200
    assert journey.post("billing", withdrawal, {}).status_code == 409
    page = journey.get("billing", f"/billings/{bid}/payment-page").json()
    assert page["card_withheld"] is False and page["bank_transfer"]["pending_report"] is None
    again = _report(journey, second, amount)
    assert again.status_code == 201, again.text
    shown = poll(lambda: _billing(journey, bid), lambda b: b and b["pending_report"])
    assert shown["pending_report"]["sentence"] == again.json()["report"]["sentence"]
    reports = poll(
        lambda: _queue(journey, "/queues/payment-reports", "reports"),
        lambda rows: any(r["billing_id"] == bid for r in rows),
    )
    assert [r["report_id"] for r in reports if r["billing_id"] == bid] == [
        again.json()["report_id"]
    ]

    # The bank's notice, with the reference as the payer typed it, pays the billing.
    answer = send_bank_notice(system, reference.lower().replace("-", " "), amount)
    assert answer.startswith("200 ") and '"settled":true' in answer.replace(" ", "")
    paid = poll(lambda: _billing(journey, bid), lambda b: b and b["status"] == "paid")
    assert paid["pending_report"] is None and paid["balance"] == "0.00"
    poll(
        lambda: _queue(journey, "/queues/payment-reports", "reports"),
        lambda rows: all(r["billing_id"] != bid for r in rows),
    )
    assert all(
        t["billing_id"] != bid for t in _queue(journey, "/queues/unreported-transfers", "transfers")
    )
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship")


@pytest.mark.rule("R9", "R8")
def test_R9_short_and_excess_transfers_nobody_reported_are_told_in_words_and_shown_to_staff(
    system: System,
) -> None:
    browser, journey = Journey.signed_up(
        system, f"bank-short-{uuid.uuid4().hex[:8]}@example.com", PASSWORD
    )
    journey.place()
    [first] = journey.billings(1)
    bid, amount = first["billing_id"], Decimal(first["amount"])
    short = amount - Decimal("5.00")

    send_bank_notice(system, first["transfer_reference"], str(short))
    partial = poll(lambda: _billing(journey, bid), lambda b: b and b["paid"] == str(short))
    assert partial["balance"] == "5.00" and partial["status"] == "partially_paid"
    words = f"{short} EUR is paid; 5.00 EUR is still open"
    assert words in partial["balance_in_words"]
    order_page = browser.get(system.url("gateway", f"/orders/{journey.order_id}"), timeout=10)
    assert words in order_page.text
    unreported = poll(
        lambda: _queue(journey, "/queues/unreported-transfers", "transfers"),
        lambda rows: any(t["billing_id"] == bid for t in rows),
    )
    assert [t["amount"] for t in unreported if t["billing_id"] == bid] == [str(short)]
    console = staff_session(system, f"bank-staff-{uuid.uuid4().hex[:6]}@cnnect.example", PASSWORD)
    page = console.get(system.url("gateway", "/staff"), timeout=10)
    assert page.status_code == 200
    assert "Transfers received without a report" in page.text and bid in page.text
    assert "Reported transfers not yet matched" in page.text

    send_bank_notice(system, first["transfer_reference"], "12.50")
    paid = poll(lambda: _billing(journey, bid), lambda b: b and b["to_deposit"] == "7.50")
    assert paid["status"] == "paid" and paid["balance"] == "0.00"
    assert (
        "You paid 7.50 EUR more than this billing asked: it went to your deposit"
        in (paid["balance_in_words"])
    )
    assert journey.get("billing", "/deposit").json()["balance"] == "7.50"
    order_page = browser.get(system.url("gateway", f"/orders/{journey.order_id}"), timeout=10)
    assert "You paid 7.50 EUR more than this billing asked" in order_page.text

    # A reference with one wrong character pays nobody: the money is held for staff.
    reference = first["transfer_reference"]
    typo = reference[:-1] + ("0" if reference[-1] != "0" else "1")
    held = send_bank_notice(system, typo, "3.00")
    assert held.startswith("202 ") and '"held":true' in held.replace(" ", "")


def _look(page: Page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"{name}-{width}")


@pytest.mark.rule("R9", "R2")
def test_R9_R2_on_the_pages_a_reported_transfer_is_awaited_until_the_bank_notice_pays_it(
    system: System,
) -> None:
    email = f"bank-page-{uuid.uuid4().hex[:8]}@example.com"
    _, journey = Journey.signed_up(system, email, PASSWORD)
    journey.place()
    [first] = journey.billings(1)
    bid = first["billing_id"]
    with launch_chromium() as browser:
        page = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
        sign_in(page, system, email, PASSWORD, "/orders")
        page.goto(system.url("gateway", f"/billings/{bid}/pay"))
        expect(page.locator("#transfer-reference")).to_have_text(first["transfer_reference"])
        expect(page.locator("#development-account")).to_contain_text("Development account")
        expect(page.locator("#account-holder")).not_to_be_empty()
        _look(page, "payment-page-bank-transfer")

        page.fill("#bank-report input[name=payer_name]", "ALICE MARTIN")
        page.click("#report-transfer")
        # Back on the order page: the next action is waiting for the bank, not paying again.
        page.wait_for_url(f"**/orders/{journey.order_id}")
        awaited = f"Transfer of {first['amount']} EUR reported on "
        expect(page.locator(".flash.success")).to_contain_text(awaited)
        waiting = page.locator("#next-action-waiting")
        expect(waiting).to_contain_text(awaited)
        expect(waiting).to_contain_text("expected to be confirmed by")
        expect(page.locator("#next-action")).to_have_count(0)
        expect(page.locator("#billing-first .transfer-reported")).to_contain_text(awaited)
        _look(page, "order-page-transfer-reported")

        page.goto(system.url("gateway", f"/billings/{bid}/pay"))
        expect(page.locator("#transfer-reported")).to_contain_text(awaited)
        expect(page.locator("#card-withheld")).to_be_visible()
        expect(page.locator("#move-to-paypal")).to_have_count(0)
        _look(page, "payment-page-transfer-reported")

        # Withdrawn by mistake? The card comes back; reported again, the bank's notice (sent
        # through the gateway, as the bank would) pays the billing.
        page.click("#withdraw-report")  # asks first, in the page (no script dialog)
        expect(page.locator("#withdraw-confirm")).to_contain_text("did not make the transfer")
        page.click("#withdraw-report-confirm")
        expect(page.locator("#move-to-paypal")).to_be_visible()
        page.fill("#bank-report input[name=payer_name]", "ALICE MARTIN")
        page.click("#report-transfer")
        expect(page.locator("#next-action-waiting")).to_be_visible()
        send_bank_notice(system, first["transfer_reference"], first["amount"], via="gateway")
        status = page.locator("#billing-first .status")
        reload_until(page, lambda: status.inner_text().strip().lower() == "paid")
        expect(page.locator("#next-action-waiting")).to_have_count(0)
        expect(page.locator("#billing-first")).to_contain_text("bank transfer")
        _look(page, "order-page-transfer-paid")


def test_the_transfer_read_models_rebuilt_from_zero_equal_the_live_ones(system: System) -> None:
    # Run last in this module: the reports made, withdrawn and matched, the transfers nobody
    # reported and the mistyped reference above are in the histories rebuilt.
    live = assert_rebuild_equals_live(system, "billing")
    reports = next(s for s in live if "payment_reports" in s)["payment_reports"]
    unreported = next(s for s in live if "unreported_transfers" in s)["unreported_transfers"]
    assert {"withdrawn", "matched"} <= {row[-1] for row in reports}  # status, the last column
    assert unreported
