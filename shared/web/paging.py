"""Search and paging of the staff queues (R27): every service's queue endpoint takes
`limit`, `offset`, `q` (text found in the service's own columns), `order` and `customer`
(comma-separated ids the gateway found elsewhere: by customer e-mail or delivery name), and
answers one page of rows with the `total` of rows that match."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from shared.domain_errors import ValidationError
from shared.events.store import EventStore
from shared.web.app import jsonable, require_staff, service_context

# Without `limit`, as many rows as a queue answered before it paged (API callers rely on it).
DEFAULT_LIMIT = MAX_LIMIT = 500
MAX_IDS = 500
# One page of a queue's rows, and how many rows match.
Paged = tuple[list[dict[str, Any]], int]


@dataclass(frozen=True)
class QueuePage:
    """Which page of a queue the caller asks for, and what it searches."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    text: str = ""
    orders: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()

    @property
    def searching(self) -> bool:
        """Some search narrows the queue."""
        return bool(self.text or self.orders or self.customers)


def _number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(f"{name} is a whole number from {low} to {high}")
    return int(raw)


def _ids(name: str) -> tuple[str, ...]:
    found = tuple(i for i in request.args.get(name, "").split(",") if i.strip())
    if len(found) > MAX_IDS:
        raise ValidationError(f"{name} lists at most {MAX_IDS} ids")
    return found


def queue_page() -> QueuePage:
    """The page and search of this request (a clear 400 for a bad one)."""
    text = request.args.get("q", "").strip()
    if len(text) > 200:
        raise ValidationError("q is at most 200 characters")
    return QueuePage(
        _number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        _number("offset", 0, 0, 10_000_000),
        text,
        _ids("order"),
        _ids("customer"),
    )


# A customer's own lists (their orders in a tab, their inquiries) come newest first, this many
# at a time; `offset` asks for the next ones, which the answer's `next_offset` names.
LIST_PAGE = 200


# The `offset` of a customer's list, as the OpenAPI documents describe it.
OFFSET_PARAMETER = {
    "name": "offset",
    "in": "query",
    "description": f"where the page starts ({LIST_PAGE} a page); the answer's next_offset",
    "schema": {"type": "integer", "minimum": 0},
}


def list_offset() -> int:
    """Where this request's page of a customer's list starts (a clear 400 for a bad one)."""
    return _number("offset", 0, 0, 10_000_000)


def list_page(rows: list[Any], offset: int) -> tuple[list[Any], int | None]:
    """The page of `rows` (read with LIMIT LIST_PAGE + 1) and the offset of the next page,
    None when it is the last."""
    more = len(rows) > LIST_PAGE
    return rows[:LIST_PAGE], offset + LIST_PAGE if more else None


def _like(text: str) -> str:
    """`text` as an ILIKE pattern that finds it anywhere (its own % and _ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Search:
    """Where a queue's rows are searched: text columns, and its order and customer columns."""

    text: Sequence[str] = ()
    order: str | None = None
    customer: str | None = None


def paged_rows(
    store: EventStore,
    select: str,
    where: str,
    order_by: str,
    search: Search,
    page: QueuePage,
    params: tuple[Any, ...] = (),
    shape: Callable[[Mapping[str, Any]], dict[str, Any]] = jsonable,
) -> Paged:
    """One page of `select ... WHERE where` in `store` (searched as `page` asks), each row
    formatted by `shape`, and how many match."""
    matches: list[str] = []
    found: list[Any] = []
    if page.text:
        for column in search.text:
            matches.append(f"({column})::text ILIKE %s")
            found.append(_like(page.text))
    if page.orders and search.order:
        matches.append(f"{search.order} = ANY(%s)")
        found.append(list(page.orders))
    if page.customers and search.customer:
        matches.append(f"{search.customer} = ANY(%s)")
        found.append(list(page.customers))
    condition = where
    if page.searching:
        # A search no column of this queue can answer matches nothing, not everything.
        condition = f"({where}) AND ({' OR '.join(matches) or 'false'})"
    matching = f"{select} WHERE {condition}"
    all_params = (*params, *found)
    total = store.query(f"SELECT count(*) AS n FROM ({matching}) AS matching", all_params)
    rows = store.query(
        f"{matching} ORDER BY {order_by} LIMIT %s OFFSET %s",
        (*all_params, page.limit, page.offset),
    )
    return [shape(r) for r in rows], int(total[0]["n"])


def page_answer(page: QueuePage, total: int) -> dict[str, Any]:
    """The paging part of a queue's answer."""
    return {"total": total, "limit": page.limit, "offset": page.offset}


def staff_queue_page(
    name: str, key: str, read: Callable[[EventStore, QueuePage], Paged]
) -> ResponseReturnValue:
    """A staff queue's answer (403 to anyone else): the page `read` finds, its rows under `key`."""
    require_staff()
    page = queue_page()
    rows, total = read(service_context().store, page)
    return jsonify({"queue": name, key: rows, **page_answer(page, total)})
