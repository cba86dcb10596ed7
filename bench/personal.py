"""What sealing personal data costs (issue 21): an append of delivery details with its seven
personal fields sealed against the same append unsealed, in alternating slices, and the unit
costs of the cipher and the keyring against references measured in the same run (a JSON round
trip of the same answer, a `SELECT 1` round trip)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from bench.common import Env, interleaved, percentile
from shared.events.store import EventStore, NewEvent, Transaction
from shared.personal.personal_data import PersonalData
from shared.personal.postgres_keyring import SCHEMA as KEYRING_SCHEMA
from shared.personal.postgres_keyring import PostgresKeyring

ROUNDS = 5
SLICE_S = 0.5
CUSTOMERS = 200  # each append seals under one of them: keys come from the process's copy
ADDRESS = {
    "name": "Marie-Claire Dubois-Lefèvre",
    "line1": "14 rue des Lilas, bâtiment B",
    "line2": "appartement 32",
    "city": "Saint-Germain-en-Laye",
    "postal_code": "78100",
    "phone": "+33 6 12 34 56 78",
    "country": "FR",
}
NOTE = "Please leave the parcel with the concierge if nobody answers."
PERSONAL = ("name", "line1", "line2", "city", "postal_code", "phone")


def _details(personal: PersonalData | None, customer: str) -> dict[str, Any]:
    address = dict(ADDRESS)
    note = NOTE
    if personal is not None:
        address.update({f: personal.seal(customer, address[f]) for f in PERSONAL})
        note = personal.seal(customer, NOTE)
    return {"order_id": f"ord-{uuid4().hex[:8]}", "address": address, "note": note}


def _append_worker(store: EventStore, personal: PersonalData | None) -> Callable[[], int]:
    counter = itertools.count()

    def step() -> int:
        n = next(counter)
        customer = f"cus-{n % CUSTOMERS}"
        event = NewEvent("DeliveryDetailsGiven", _details(personal, customer))
        stream = f"order-{'sealed' if personal else 'plain'}-{n}-{uuid4().hex[:6]}"

        def work(tx: Transaction) -> object:
            return tx.append(stream, [event], 0)

        store.transact(work)
        return 1

    return step


def _per_call_us(fn: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


def run(env: Env, rounds: int = ROUNDS, slice_s: float = SLICE_S) -> None:
    """Measure and print the cost of sealing."""
    url = env.database("personal", KEYRING_SCHEMA)
    store = env.store(url, 4)
    keyring = PostgresKeyring(env.pool(url, 4))
    personal = PersonalData(keyring, "bench")
    for n in range(CUSTOMERS):
        keyring.key_to_seal(f"cus-{n}")
    rates = interleaved(
        {
            "unsealed": (1, [_append_worker(store, None)]),
            "sealed": (1, [_append_worker(store, personal)]),
        },
        rounds,
        slice_s,
    )
    unsealed, sealed = rates["unsealed"][0], rates["sealed"][0]
    env.record("append_unsealed_delivery_details_per_s", unsealed, "events/s")
    env.record("append_sealed_delivery_details_per_s", sealed, "events/s")
    env.record(
        "sealed_append_ratio",
        sealed / unsealed,
        "ratio",
        note="delivery details with 7 personal fields sealed, to the same append unsealed, "
        "in alternating slices of one run",
    )
    answer = {"order": _details(personal, "cus-1"), "items": [{"title": "mug"}] * 5}
    plain_answer = personal.reveal(answer)
    body = json.dumps(answer)
    json_us = _per_call_us(lambda: json.dumps(json.loads(json.dumps(plain_answer))), 2000)
    reveal_us = _per_call_us(lambda: json.dumps(personal.reveal(json.loads(body))), 2000)
    env.record("seal_text_us", _per_call_us(lambda: personal.seal("cus-1", NOTE), 5000), "us")
    env.record(
        "reveal_answer_us",
        reveal_us,
        "us",
        reference_json_round_trip_us=round(json_us, 1),
        ratio_to_reference=round(reveal_us / json_us, 2),
        note="an order answer with 7 sealed fields: parse, open, serialise (the after-request "
        "hook of every service), against parsing and serialising the plain answer",
    )
    photo = bytes(1024 * 1024)
    env.record(
        "seal_file_ms_per_mb",
        _per_call_us(lambda: personal.seal_file("cus-1", photo), 50) / 1e3,
        "ms",
    )
    key_reads, select_1 = [], []
    with store.pool.connection() as conn:
        for n in range(300):
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            select_1.append((time.perf_counter() - started) * 1e3)
            keyring.drop_cached(f"cus-{n % CUSTOMERS}")
            started = time.perf_counter()
            keyring.keys_to_open([f"cus-{n % CUSTOMERS}"])
            key_reads.append((time.perf_counter() - started) * 1e3)
    env.record(
        "keyring_read_ms_p50",
        percentile(key_reads, 0.5),
        "ms",
        reference_select_1_ms_p50=round(percentile(select_1, 0.5), 3),
        note="a key not in the process's copy (kept 5 s): one round trip to the keyring",
    )
