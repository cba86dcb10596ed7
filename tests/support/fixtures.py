"""Fixtures shared by every test tier: per-test databases and broker namespaces."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from psycopg_pool import ConnectionPool

from services.registry import SUBSCRIPTIONS
from shared.config import with_database
from shared.events.contracts import CONTRACTS
from shared.events.database import drop_database, open_pool, prepare_service_database
from shared.events.store import EventStore
from shared.events.topology import Topology
from tests.support.infra import Infra, test_infra


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger("pika").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with test_infra() as servers:
        yield servers


@pytest.fixture
def database_url(infra: Infra) -> Iterator[str]:
    """A fresh database with the kit tables, dropped after the test."""
    name = infra.name("db")
    url = prepare_service_database(infra.postgres_url, name)
    yield url
    drop_database(infra.postgres_url, name)


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool]:
    pool = open_pool(database_url, max_size=60)
    yield pool
    pool.close()


@pytest.fixture
def store(pool: ConnectionPool) -> EventStore:
    return EventStore(pool, CONTRACTS)


@pytest.fixture
def topology(infra: Infra) -> Iterator[Topology]:
    """A namespace of exchanges and queues of this test alone, deleted afterwards."""
    topology = Topology(namespace=infra.name("ns"), delivery_limit=3)
    yield topology
    topology.delete_all(infra.amqp_url, [*SUBSCRIPTIONS, "probe"])


__all__ = ["with_database"]
