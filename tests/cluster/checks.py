"""What must hold after node failures, beyond the chaos run's checks: every write a client was
told succeeded is still there after the failovers, and the probes' orders are cancelled with
nothing owed."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support.system import SERVICES, System


def _rows(system: System, service: str, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with psycopg.connect(system.database_url(service), row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def acknowledged_writes_kept(
    system: System, keys: list[str], bank_transactions: list[str]
) -> list[str]:
    """Each change answered as made is recorded under its Idempotency-Key in the service that
    made it, as carried out (its effect's commit marks the key) or answered, and each bank
    transfer the webhook acknowledged left its events in billing."""
    found: set[str] = set()
    for service in SERVICES:
        found |= {
            r["key"]
            for r in _rows(
                system,
                service,
                "SELECT key FROM idempotent_requests WHERE key = ANY(%s) "
                "AND (effect_committed OR status BETWEEN 200 AND 299)",
                (keys,),
            )
        }
    problems = [f"the change {k} was acknowledged and is gone" for k in keys if k not in found]
    actors = [f"bank:{t}" for t in bank_transactions]
    recorded = {
        r["actor"]
        for r in _rows(
            system,
            "billing",
            "SELECT DISTINCT metadata->>'actor' AS actor FROM events "
            "WHERE metadata->>'actor' = ANY(%s)",
            (actors,),
        )
    }
    problems += [
        f"the bank transfer {a} was acknowledged and is gone" for a in actors if a not in recorded
    ]
    return problems


def probe_orders_cancelled(system: System, order_ids: list[str]) -> list[str]:
    """Every order a probe placed is cancelled and its billing voided, unpaid."""
    status = {
        r["order_id"]: r["status"]
        for r in _rows(
            system,
            "orders",
            "SELECT order_id, status FROM order_details WHERE order_id = ANY(%s)",
            (order_ids,),
        )
    }
    problems = [
        f"probe order {o} is {status.get(o, 'missing')}"
        for o in order_ids
        if status.get(o) != "cancelled"
    ]
    billings = _rows(
        system,
        "billing",
        "SELECT order_id, status, paid FROM billing_summaries WHERE order_id = ANY(%s)",
        (order_ids,),
    )
    problems += [
        f"probe order {b['order_id']}'s billing is {b['status']} with {b['paid']} paid"
        for b in billings
        if b["status"] != "voided" or b["paid"] != 0
    ]
    return problems
