"""Reading a billing's figures off a page and checking them against billing's JSON (R4): each
line priced and billed, the rate with its date, the service fee rule, amount, paid, balance."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from shared.money import Money


@dataclass
class PageFigures:
    """What the page shows of one billing, as the customer reads it."""

    lines: list[list[str]] = field(default_factory=list)  # per line: its cells' texts
    cells: dict[str, str] = field(default_factory=dict)  # by class: figure-amount, figure-rate...


class _FiguresParser(HTMLParser):
    """Collects the `table.figures[data-billing=...]` and the notes after it."""

    def __init__(self, billing_id: str) -> None:
        super().__init__()
        self.billing_id = billing_id
        self.figures = PageFigures()
        self.inside = False  # within our billing's table or its notes
        self.depth = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.cell_class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "table" and "figures" in classes:
            self.inside = found.get("data-billing") == self.billing_id
        if not self.inside:
            return
        if tag == "tr" and "line" in classes:
            self.row = []
        if tag in ("td", "dd"):
            self.cell, self.cell_class = [], " ".join(classes)

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag in ("td", "dd") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            if self.row is not None:
                self.row.append(text)
            for name in self.cell_class.split():
                if name.startswith("figure-"):
                    self.figures.cells[name] = text
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.figures.lines.append(self.row)
            self.row = None
        elif tag == "dl":
            self.inside = False


def page_figures(html: str, billing_id: str) -> PageFigures:
    """The figures a page shows of `billing_id` (empty when it shows none)."""
    parser = _FiguresParser(billing_id)
    parser.feed(html)
    return parser.figures


def _formatted(wire: dict[str, str] | None) -> str:
    return Money(Decimal(wire["amount"]), wire["currency"]).formatted() if wire else ""


def assert_page_shows_billing(html: str, billing: dict[str, Any]) -> PageFigures:
    """The page's figures of `billing` are billing's own: every line priced and converted (and
    the converted amount is the CNY amount at the rate shown), the rate with its date, the
    fee rule, amount, paid and balance, each in the one money format."""
    shown = page_figures(html, billing["billing_id"])
    assert shown.lines, f"the page shows no figures of billing {billing['billing_id']}"
    converted = any(line["original"] for line in billing["lines"])
    expected = [
        [line["label"].capitalize()]
        + ([_formatted(line["original"])] if converted else [])
        + [_formatted(line["amount"])]
        for line in billing["lines"]
    ]
    assert shown.lines == expected, (shown.lines, expected)
    exchange = billing["exchange"]
    if converted:
        assert exchange and exchange["date"] and exchange["rate"], billing
        assert shown.cells.get("figure-rate") == exchange["words"], shown.cells
        assert exchange["rate"] in exchange["words"] and exchange["date"] in exchange["words"]
        rate = Decimal(exchange["rate"])
        for line in billing["lines"]:  # the customer's own check: CNY x rate, half-up
            if line["original"]:
                original = Money(Decimal(line["original"]["amount"]), line["original"]["currency"])
                assert (
                    _formatted(line["amount"])
                    == original.converted(billing["currency"], rate).formatted()
                )
    if billing.get("service_fee_rule"):
        assert shown.cells.get("figure-fee-rule") == billing["service_fee_rule"], shown.cells
    currency = billing["currency"]
    for name in ("amount", "paid", "balance"):
        want = Money(Decimal(billing[name]), currency).formatted()
        assert shown.cells.get(f"figure-{name}") == want, (name, shown.cells, want)
        assert billing["formatted"][name] == want
    return shown
