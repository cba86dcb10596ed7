"""What must hold after a chaos run, checked on the databases and the broker themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from services.registry import SUBSCRIPTIONS
from shared.events.bus import blocking_connection
from shared.events.topology import Topology
from tests.chaos.lifecycle import Outcome
from tests.support.rebuild import assert_rebuild_equals_live
from tests.support.system import SERVICES, System


@dataclass
class Verdict:
    """Every violation found, and the counts worth printing."""

    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def check(self, name: str, problems: list[str]) -> None:
        """Record the problems one check found (at most 10 shown of each)."""
        self.violations += [f"{name}: {p}" for p in problems[:10]]
        if len(problems) > 10:
            self.violations.append(f"{name}: ... and {len(problems) - 10} more")


def _rows(system: System, service: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with psycopg.connect(system.database_url(service), row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


@dataclass
class Findings:
    """What the checks every run under fire ends with found, beyond the verdict's violations."""

    placed: list[str]  # the orders the lifecycles placed
    consumed: int  # integration events checked in every subscriber's inbox
    not_consumed: list[str]
    charged_twice: list[str]


def check_under_fire(verdict: Verdict, system: System, outcomes: list[Outcome]) -> Findings:
    """The checks every run under fire ends with (chaos and cluster runs): each lifecycle
    completed with its order, every integration event consumed once, and CHECKS."""
    verdict.check(
        "lifecycle",
        [f"#{n} {o.order_id}: {o.error}" for n, o in enumerate(outcomes) if not o.completed],
    )
    placed = [o.order_id for o in outcomes if o.order_id]
    verdict.check("final state", orders_completed(system, placed))
    not_consumed, consumed = every_event_consumed_once(system)
    verdict.check("consumed once", not_consumed)
    charged_twice: list[str] = []
    for name, check in CHECKS:
        problems = check(system)
        verdict.check(name, problems)
        if check is nobody_charged_twice:
            charged_twice = problems
    return Findings(placed, consumed, not_consumed, charged_twice)


def rebuilt_projections_equal_live(system: System) -> list[str]:
    """For every service, each projection rebuilt from zero equals the live one."""
    problems = []
    for service in SERVICES:
        try:
            assert_rebuild_equals_live(system, service)
        except AssertionError as exc:
            problems.append(f"{service}: rebuilt projections differ from the live ones ({exc})")
    return problems


def every_event_consumed_once(system: System) -> tuple[list[str], int]:
    """Every integration event is in the inbox of every subscriber (the inbox's key makes
    twice impossible): consumed exactly once in effect. Returns problems and events checked."""
    problems, checked = [], 0
    for consumer, keys in SUBSCRIPTIONS.items():
        inbox = {
            str(r["message_id"]) for r in _rows(system, consumer, "SELECT message_id FROM inbox")
        }
        for key in keys:
            producer, event_type = key.split(".", 1)
            published = _rows(
                system, producer, "SELECT event_id FROM events WHERE type = %s", (event_type,)
            )
            for row in published:
                checked += 1
                if str(row["event_id"]) not in inbox:
                    problems.append(f"{consumer} never applied {key} {row['event_id']}")
    return problems, checked


def dead_letter_queues_empty(system: System) -> list[str]:
    """Nothing was given up on: every consumer's dead-letter queue is empty."""
    topology = Topology(system.namespace)
    problems = []
    with blocking_connection(system.env["CNNECT_AMQP_URL"]) as connection:
        channel = connection.channel()
        for consumer in SUBSCRIPTIONS:
            queue = topology.dead_letter_queue(consumer)
            depth = channel.queue_declare(queue, passive=True).method.message_count
            if depth:
                problems.append(f"{queue} holds {depth} messages")
    return problems


def nobody_charged_twice(system: System) -> list[str]:
    """Each billing was paid exactly its amount, each bank transfer recorded once, and every
    deposit ends at zero (each was credited exactly what it paid). A billing voided before
    anything was paid owes nothing."""
    problems = []
    summaries = "SELECT billing_id, amount, paid, status FROM billing_summaries"
    for b in _rows(system, "billing", summaries):
        if b["status"] == "voided" and b["paid"] == 0:
            continue  # the order was cancelled before anything was paid: nothing is owed
        if b["paid"] != b["amount"]:
            problems.append(f"{b['billing_id']} paid {b['paid']} of {b['amount']}")
    repeated = _rows(
        system,
        "billing",
        "SELECT data->>'payment_id' AS payment, count(*) AS n FROM events "
        "WHERE type = 'PaymentReceived' GROUP BY 1 HAVING count(*) > 1",
    )
    problems += [f"payment {r['payment']} recorded {r['n']} times" for r in repeated]
    for d in _rows(system, "billing", "SELECT customer_id, balance FROM deposits"):
        if d["balance"] != 0:
            problems.append(f"deposit of {d['customer_id']} ends at {d['balance']}, not 0")
    return problems


def deposits_never_negative(system: System) -> list[str]:
    """No deposit entry ever left a balance below zero (R8)."""
    rows = _rows(
        system,
        "billing",
        "SELECT customer_id, balance_after FROM deposit_entries WHERE balance_after < 0",
    )
    return [f"deposit of {r['customer_id']} went to {r['balance_after']}" for r in rows]


def orders_completed(system: System, order_ids: list[str]) -> list[str]:
    """Every order the customers placed is completed."""
    rows = _rows(system, "orders", "SELECT order_id, status FROM order_details")
    status = {r["order_id"]: r["status"] for r in rows}
    return [
        f"order {o} is {status.get(o, 'missing')}"
        for o in order_ids
        if status.get(o) != "completed"
    ]


def event_count(system: System) -> int:
    """Events stored, all services together."""
    return sum(
        _rows(system, service, "SELECT count(*) AS n FROM events")[0]["n"] for service in SERVICES
    )


CHECKS: tuple[tuple[str, Callable[[System], list[str]]], ...] = (
    ("projections", rebuilt_projections_equal_live),
    ("dead letters", dead_letter_queues_empty),
    ("charged twice", nobody_charged_twice),
    ("negative deposit", deposits_never_negative),
)
