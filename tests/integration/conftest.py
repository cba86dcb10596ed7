"""The integration modules' shared fixtures: a gateway's database, and two gateway processes
over it (each an account store with its own session cache), and a standalone gateway with its app
for a module (a module overrides `gateway` to set its limits or clock)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from services.gateway.adapters.account_tokens import SCHEMA as TOKENS_SCHEMA
from services.gateway.adapters.accounts_store import SCHEMA, AccountStore
from services.gateway.adapters.session_cache import SessionCache
from services.gateway.bootstrap import Gateway
from services.gateway.entrypoints.app import create_app
from shared.events.database import drop_database, open_pool, prepare_service_database
from shared.events.store import EventStore
from tests.support.infra import Infra
from tests.support.standalone_gateway import standalone_gateway
from tests.support.waiting import wait_until


@pytest.fixture
def gateway_url(infra: Infra) -> Iterator[str]:
    """A fresh database with the gateway's accounts and account links, dropped after the test."""
    name = infra.name("gw")
    yield prepare_service_database(infra.postgres_url, name, SCHEMA + TOKENS_SCHEMA)
    drop_database(infra.postgres_url, name)


@pytest.fixture
def two_gateways(gateway_url: str) -> Iterator[tuple[AccountStore, AccountStore]]:
    """Two gateway processes over one database: account stores whose caches both listen."""
    caches = [SessionCache(gateway_url) for _ in range(2)]
    stores = [AccountStore(EventStore(open_pool(gateway_url, max_size=2)), c) for c in caches]
    for cache in caches:
        cache.start()
    wait_until(lambda: all(c.trusted for c in caches), "the caches listen")
    yield stores[0], stores[1]
    for cache, store in zip(caches, stores, strict=True):
        cache.close()
        store.store.pool.close()


@pytest.fixture(scope="module")
def gateway(infra: Infra) -> Iterator[Gateway]:
    """A gateway of the module's own, its services away (tests/support/standalone_gateway.py)."""
    with standalone_gateway(infra) as wired:
        yield wired


@pytest.fixture(scope="module")
def app(gateway: Gateway) -> Flask:
    """The gateway's web app over the module's `gateway`."""
    return create_app(gateway)
