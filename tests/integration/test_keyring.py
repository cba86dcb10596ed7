"""The customers' data keys in PostgreSQL: one key per customer however many processes seal at
once, and a destroyed key stays destroyed for every process."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.domain_errors import CustomerForgottenError
from shared.events.database import drop_database, open_pool, prepare_service_database
from shared.personal.personal_data import PersonalData
from shared.personal.postgres_keyring import SCHEMA, PostgresKeyring
from shared.personal.sealing import FORGOTTEN
from tests.support.infra import Infra


@pytest.fixture
def keyring_url(infra: Infra) -> Iterator[str]:
    name = infra.name("keys")
    yield prepare_service_database(infra.postgres_url, name, SCHEMA)
    drop_database(infra.postgres_url, name)


@pytest.fixture
def keyrings(keyring_url: str) -> Iterator[list[PostgresKeyring]]:
    """Four processes' keyrings over one table (each its own pool and cache)."""
    rings = [PostgresKeyring(open_pool(keyring_url, max_size=4)) for _ in range(4)]
    yield rings
    for ring in rings:
        ring.pool.close()


def test_processes_sealing_a_new_customers_data_at_once_share_one_key(
    keyrings: list[PostgresKeyring],
) -> None:
    with ThreadPoolExecutor(16) as pool:
        keys = list(pool.map(lambda i: keyrings[i % 4].key_to_seal("cus-new"), range(64)))
    assert len(set(keys)) == 1
    texts = [PersonalData(ring).seal("cus-new", "Jane Doe") for ring in keyrings]
    assert [PersonalData(keyrings[0]).reveal(t) for t in texts] == ["Jane Doe"] * 4


def test_a_forgotten_customers_data_no_longer_opens_in_a_process_that_did_not_forget(
    keyring_url: str, keyrings: list[PostgresKeyring]
) -> None:
    sealed = PersonalData(keyrings[0]).seal("cus-1", "12 Rose Street")
    other = PersonalData(keyrings[1])
    assert other.reveal(sealed) == "12 Rose Street"
    assert PersonalData(keyrings[0]).forget("cus-1") is True
    other.drop_cached("cus-1")  # what CustomerForgotten does; else within KEY_CACHE_S
    assert other.reveal(sealed) == FORGOTTEN
    fresh = PostgresKeyring(open_pool(keyring_url, max_size=1))
    try:
        assert PersonalData(fresh).reveal(sealed) == FORGOTTEN
        with pytest.raises(CustomerForgottenError):
            PersonalData(fresh).seal("cus-1", "a new address")
    finally:
        fresh.pool.close()


def test_a_destroyed_key_leaves_no_copy_in_the_table(keyrings: list[PostgresKeyring]) -> None:
    ring = keyrings[0]
    key = ring.key_to_seal("cus-1")
    ring.forget("cus-1")
    ring.vacuum()
    with ring.pool.connection() as conn:
        row = conn.execute(
            "SELECT data_key IS NULL AS gone, forgotten_at IS NOT NULL AS dated FROM customer_keys "
            "WHERE customer_id = 'cus-1'"
        ).fetchone()
        found = conn.execute(
            "SELECT count(*) FROM customer_keys WHERE position(%s in data_key) > 0", (key,)
        ).fetchone()
    assert row is not None and list(row.values()) == [True, True]  # type: ignore[attr-defined]
    assert found is not None and list(found.values()) == [0]  # type: ignore[attr-defined]


def test_forgetting_a_customer_who_never_had_a_key_keeps_them_from_getting_one(
    keyrings: list[PostgresKeyring],
) -> None:
    assert keyrings[0].forget("cus-never") is True
    with pytest.raises(CustomerForgottenError):
        keyrings[1].key_to_seal("cus-never")
