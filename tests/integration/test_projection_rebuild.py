"""A projection kept live while several writers append a random history equals the same
projection rebuilt from zero: the live runner, racing the appends, neither skipped nor
applied twice any event, and applied each stream's events in order."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from shared.events.errors import ConcurrencyError
from shared.events.projections import ProjectionRunner
from shared.events.store import EventStore, NewEvent, RecordedEvent, Row, Transaction
from tests.support.waiting import eventually_equal

STREAMS = 300
EVENTS = 10_000
WRITERS = 4
LAG_CHECK_AT = 1_000  # events appended before the runner starts (so its lag is known > 0)


class AccountBalances:
    """Per-account balances and counters, plus totals per event type.

    Order matters within a stream: a withdrawal from a frozen account is refused (counted,
    not applied), and `history` chains every event id in the order applied."""

    name = "account_balances"
    tables: Sequence[str] = ("rb_accounts", "rb_event_totals")
    schema = """
    CREATE TABLE IF NOT EXISTS rb_accounts (
        stream_id    text PRIMARY KEY,
        owner        text NOT NULL,
        balance      numeric NOT NULL,
        deposits     integer NOT NULL,
        withdrawals  integer NOT NULL,
        refused      integer NOT NULL,
        frozen       boolean NOT NULL,
        events       integer NOT NULL,
        last_version integer NOT NULL,
        history      text NOT NULL,
        updated_at   timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS rb_event_totals (
        type   text PRIMARY KEY,
        events bigint NOT NULL,
        amount numeric NOT NULL
    );
    """

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        data = event.data
        amount = Decimal(str(data.get("amount", "0")))
        if event.type == "AccountOpened":
            conn.execute(
                "INSERT INTO rb_accounts VALUES (%s, %s, 0, 0, 0, 0, false, 0, 0, '', %s)",
                (event.stream_id, data["owner"], event.recorded_at),
            )
        elif event.type == "FundsDeposited":
            conn.execute(
                "UPDATE rb_accounts SET balance = balance + %s, deposits = deposits + 1 "
                "WHERE stream_id = %s",
                (amount, event.stream_id),
            )
        elif event.type == "FundsWithdrawn":
            conn.execute(
                "UPDATE rb_accounts SET "
                "balance = CASE WHEN frozen THEN balance ELSE balance - %s END, "
                "withdrawals = withdrawals + CASE WHEN frozen THEN 0 ELSE 1 END, "
                "refused = refused + CASE WHEN frozen THEN 1 ELSE 0 END "
                "WHERE stream_id = %s",
                (amount, event.stream_id),
            )
        elif event.type in ("AccountFrozen", "AccountUnfrozen"):
            conn.execute(
                "UPDATE rb_accounts SET frozen = %s WHERE stream_id = %s",
                (event.type == "AccountFrozen", event.stream_id),
            )
        conn.execute(
            "UPDATE rb_accounts SET events = events + 1, last_version = %s, "
            "history = md5(history || %s), updated_at = %s WHERE stream_id = %s",
            (event.version, str(event.event_id), event.recorded_at, event.stream_id),
        )
        conn.execute(
            "INSERT INTO rb_event_totals VALUES (%s, 1, %s) ON CONFLICT (type) DO UPDATE "
            "SET events = rb_event_totals.events + 1, amount = rb_event_totals.amount + %s",
            (event.type, amount, amount),
        )


def _next_events(rng: random.Random, version: int) -> list[NewEvent]:
    """1 to 5 random events for a stream at `version` (an account opens first)."""
    events = (
        [NewEvent("AccountOpened", {"owner": f"cus-{rng.randrange(10_000):04}"})]
        if version == 0
        else []
    )
    while len(events) < rng.randint(1, 5):
        kind = rng.choices(
            ["FundsDeposited", "FundsWithdrawn", "AccountFrozen", "AccountUnfrozen"],
            weights=[50, 35, 8, 7],
        )[0]
        data: dict[str, Any] = {}
        if kind.startswith("Funds"):
            data["amount"] = f"{rng.randint(1, 50_000) / 100:.2f}"
        events.append(NewEvent(kind, data))
    return events


@dataclass
class Writers:
    """Shared progress of the writer threads."""

    appended: int = 0
    conflicts: int = 0
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reached_lag_check: threading.Event = field(default_factory=threading.Event)


def _write(store: EventStore, writers: Writers, rng: random.Random, quota: int) -> None:
    """Append `quota` events to random streams (shared with other writers), retrying on
    optimistic-concurrency conflicts."""
    done = 0
    try:
        while done < quota:
            stream = f"account-{rng.randrange(STREAMS):03}"

            def work(tx: Transaction, stream: str = stream, remaining: int = quota - done) -> int:
                version = tx.stream_version(stream)
                events = _next_events(rng, version)[:remaining]
                return len(tx.append(stream, events, version))

            try:
                appended = store.transact(work)
            except ConcurrencyError:
                with writers.lock:
                    writers.conflicts += 1
                continue
            done += appended
            with writers.lock:
                writers.appended += appended
                if writers.appended >= LAG_CHECK_AT:
                    writers.reached_lag_check.set()
    except BaseException as exc:  # reported by the test
        writers.errors.append(exc)
        writers.reached_lag_check.set()


@pytest.mark.slow
def test_a_projection_kept_live_during_concurrent_appends_equals_its_rebuild_from_zero(
    store: EventStore, record_property: Callable[[str, object], None]
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    master = random.Random(seed)
    projection = AccountBalances()
    runner = ProjectionRunner(store, projection, batch_size=500)
    store.transact(lambda tx: tx.conn.execute(projection.schema))
    writers = Writers()
    quotas = [EVENTS // WRITERS + (1 if n < EVENTS % WRITERS else 0) for n in range(WRITERS)]
    threads = [
        threading.Thread(
            target=_write,
            args=(store, writers, random.Random(master.random()), q),
            name=f"writer-{n}",
            daemon=True,
        )
        for n, q in enumerate(quotas)
    ]
    for thread in threads:
        thread.start()

    assert writers.reached_lag_check.wait(timeout=60), "the writers did not get going"
    assert runner.lag() > 0, f"the projection is behind before its runner starts (seed {seed})"
    stop = threading.Event()
    live = threading.Thread(
        target=runner.run, args=(stop,), kwargs={"idle_wait": 0.01}, name="projection", daemon=True
    )
    live.start()
    try:
        for thread in threads:
            thread.join(timeout=120)
        assert not writers.errors, f"a writer failed (seed {seed}): {writers.errors[0]!r}"
        assert writers.appended == EVENTS
        lag_after_appends = runner.lag()
        eventually_equal(runner.lag, 0, timeout=60)
    finally:
        stop.set()
        live.join(timeout=30)
    assert runner.lag() == 0
    assert lag_after_appends < EVENTS, "the runner applied events while the writers appended"

    live_snapshot = runner.snapshot()
    record_property("writer_conflicts", writers.conflicts)
    record_property("lag_when_appends_ended", lag_after_appends)
    print(
        f"{EVENTS} events, {writers.conflicts} write conflicts retried, live lag "
        f"{lag_after_appends} when the appends ended; seed {seed}"
    )

    # The live projection holds every event once, each stream in version order.
    stored = store.transact(
        lambda tx: {
            row["stream_id"]: (row["events"], row["last_version"])
            for row in tx.conn.execute(
                "SELECT stream_id, count(*) AS events, max(version) AS last_version "
                "FROM events GROUP BY stream_id"
            ).fetchall()
        }
    )
    projected = {row[0]: (row[7], row[8]) for row in live_snapshot["rb_accounts"]}
    assert projected == stored
    assert sum(row[1] for row in live_snapshot["rb_event_totals"]) == EVENTS
    assert len(stored) > STREAMS * 0.9

    assert runner.rebuild() == EVENTS
    assert runner.lag() == 0
    rebuilt_snapshot = runner.snapshot()
    assert rebuilt_snapshot == live_snapshot, f"rebuild differs from live (seed {seed})"
