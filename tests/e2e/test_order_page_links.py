"""Every link of the order details page, the customer's and the staff's, opens for the people
allowed to see it, through the gateway (R7, R18, R23): message attachments (the messaging
service's files and the problem report's pictures that orders keeps) and inspection photos
included; another customer meets a 404 on each of those files."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.images import jpeg, pdf
from tests.support.journey import Journey
from tests.support.system import System, poll, sign_up, staff_session

STAFF_EMAIL, STAFF_PASSWORD = "links@cnnect.example", "staff page hrefs password"
FILE_ROUTES = ("/api/messaging/attachments/", "/api/orders/orders/")


class _Links(HTMLParser):
    """Every href and src of a page, in order, and every element id."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]
        self.ids |= {value for name, value in attrs if name == "id" and value}


def _same_site_links(system: System, browser: requests.Session, path: str) -> list[str]:
    """The links of the page at `path` that stay on the gateway (fragments dropped); a link
    to a place on the page itself must name an element that is there."""
    page = browser.get(system.url("gateway", path), timeout=30)
    assert page.status_code == 200, page.text[:500]
    parser = _Links()
    parser.feed(page.text)
    gateway = urlsplit(system.url("gateway", "/")).netloc
    links = []
    for found in parser.found:
        url, _, fragment = urljoin(page.url, found).partition("#")
        if fragment and url == page.url.partition("#")[0]:
            assert fragment in parser.ids, f"{path} links to #{fragment}, which it lacks"
        if urlsplit(url).netloc == gateway and url not in links:
            links.append(url)
    return links


def _walk(system: System, browser: requests.Session, path: str) -> list[str]:
    """Every same-site link of the page at `path`, each checked to open; the links."""
    links = _same_site_links(system, browser, path)
    _assert_every_link_opens(browser, links)
    return links


def _assert_every_link_opens(browser: requests.Session, links: list[str]) -> None:
    broken = {}
    for url in links:
        answer = browser.get(url, timeout=30)
        if answer.status_code >= 400:
            broken[url] = answer.status_code
    assert broken == {}, f"links that do not open: {broken}"


def _file_links(links: list[str]) -> list[str]:
    return [u for u in links if any(route in urlsplit(u).path for route in FILE_ROUTES)]


@pytest.fixture(scope="module")
def staff(system: System) -> requests.Session:
    """A staff member signed in to the gateway, as a browser would be."""
    return staff_session(system, STAFF_EMAIL, STAFF_PASSWORD)


@pytest.mark.rule("R7", "R18", "R23")
def test_R7_R23_every_link_of_the_order_page_opens_for_the_customer_and_the_staff(
    system: System, staff: requests.Session
) -> None:
    browser, journey = Journey.signed_up(system, "links-owner@example.com")
    journey.to_shipped(["EE700000000CN", "EE700000001CN"])  # inspected items with photos
    messages = f"/orders/{journey.order_id}/messages"
    asked = requests.post(
        system.url("messaging", messages),
        data={"text": "The invoice, for the record"},
        files=[("attachments", ("invoice.pdf", pdf(), "application/pdf"))],
        headers=journey.customer,
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    exchange = {"text": "The mug is chipped", "kind": "exchange_request", "item_id": "itm-2"}
    assert journey.post("messaging", messages, exchange).status_code == 201
    journey.report_problem("The mug is broken", jpeg())
    listed = poll(
        lambda: journey.get("messaging", messages).json(),
        lambda body: body["messages"][-1]["kind"] == "problem",
    )
    problem = listed["messages"][-1]
    [picture] = problem["attachment_ids"]

    # From the API: the id a message lists opens at the messaging route, and at its href.
    by_id = browser.get(system.url("gateway", f"/api/messaging/attachments/{picture}"), timeout=30)
    assert by_id.status_code == 200 and by_id.content == jpeg()
    [described] = problem["attachments"]
    assert described["attachment_id"] == picture
    by_href = browser.get(system.url("gateway", described["href"]), timeout=30)
    assert by_href.status_code == 200 and by_href.content == jpeg()

    # From the pages: every same-site link opens for the customer, and for the staff.
    files = _file_links(_walk(system, browser, f"/orders/{journey.order_id}"))
    assert system.url("gateway", described["href"]) in files
    assert len(files) >= 4, files  # two inspection photos (link + image), the PDF, the picture
    staff_links = _walk(system, staff, f"/staff/orders/{journey.order_id}")
    assert set(files) <= set(_file_links(staff_links))

    # Access stays with the owning service: another customer opens none of those files.
    stranger, _ = sign_up(system, "links-stranger@example.com")
    assert {u: stranger.get(u, timeout=30).status_code for u in files} == dict.fromkeys(files, 404)
    by_id_url = system.url("gateway", f"/api/messaging/attachments/{picture}")
    # Not even a redirect that would tell the stranger whose order holds the picture.
    assert stranger.get(by_id_url, allow_redirects=False, timeout=30).status_code == 404
    assert staff.get(by_id_url, timeout=30).content == jpeg()


@pytest.mark.rule("R2", "R7", "R18")
def test_R2_the_order_page_links_open_at_every_step_of_the_order(
    system: System, staff: requests.Session
) -> None:
    browser, journey = Journey.signed_up(system, "links-steps@example.com")
    journey.place()
    mine = f"/orders/{journey.order_id}"
    theirs = f"/staff{mine}"

    def both(status: str) -> None:
        journey.wait_status(status)
        _walk(system, browser, mine)
        _walk(system, staff, theirs)

    journey.billings(1)
    poll(journey.order, lambda o: o["next_action"] == "pay_first_billing")
    both("applied")  # the next action is paying the 1st billing: its page opens
    journey.pay("first")
    journey.inspect()
    both("inspected")  # checking the inspection photos
    journey.pack()
    poll(journey.order, lambda o: o["next_action"] == "pay_second_billing")
    both("awaiting_second_payment")
    journey.pay("second")
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship")
    assert journey.ship(["EE710000000CN", "EE710000001CN"]).status_code == 200
    both("shipped")  # sending the reception report
