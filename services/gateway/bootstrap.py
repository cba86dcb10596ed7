"""Wiring of the gateway: its database, where the services are, the identity secret."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from services.gateway.adapters.account_names import NAMES_SCHEMA
from services.gateway.adapters.account_tokens import SCHEMA as ACCOUNT_TOKENS_SCHEMA
from services.gateway.adapters.accounts_store import SCHEMA, AccountStore
from services.gateway.adapters.forgotten_store import SCHEMA as FORGOTTEN_SCHEMA
from services.gateway.adapters.saved_addresses import SCHEMA as SAVED_ADDRESSES_SCHEMA
from services.gateway.adapters.second_factor_store import SCHEMA as SECOND_FACTOR_SCHEMA
from services.gateway.adapters.session_cache import SessionCache
from services.gateway.config import GatewayConfig, load_config
from shared.config import Settings, load_settings
from shared.events.clock import Clock, SystemClock
from shared.events.database import open_pool, prepare_service_database
from shared.events.store import EventStore
from shared.observability.ports import API_PORTS
from shared.personal.personal_data import PersonalData
from shared.personal.postgres_keyring import SCHEMA as KEYRING_SCHEMA
from shared.personal.postgres_keyring import PostgresKeyring

# The services behind the gateway (their ports: shared/observability/ports.py).
SERVICES = ("orders", "billing", "messaging", "shipping")


@dataclass
class Gateway:
    """What the gateway's routes need."""

    settings: Settings
    accounts: AccountStore
    services: Mapping[str, str]  # name -> base URL
    clock: Clock
    signin_limit: int = 10  # attempts per e-mail and per address in the window
    config: GatewayConfig = field(default_factory=GatewayConfig)  # its own settings, parsed
    # The customers' data keys live in the gateway's own database (it owns their identity):
    # forgetting destroys the key in the transaction that closes the account. The keyring
    # has a small pool of its own (its VACUUM runs in autocommit).
    keyring: PostgresKeyring | None = None

    @cached_property
    def personal(self) -> PersonalData:
        """Revealing (and sealing) customers' personal data over the gateway's keyring (one
        per gateway: its cipher time is counted under the gateway's name)."""
        if self.keyring is None:
            raise RuntimeError("this gateway was wired without its keyring")
        return PersonalData(self.keyring, "gateway")

    def close(self) -> None:
        """Stop listening for revocations, and close the database pool."""
        if self.accounts.cache is not None:
            self.accounts.cache.close()
        self.accounts.store.pool.close()
        if self.keyring is not None:
            self.keyring.close()


def service_urls(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each service's base URL (`CNNECT_<SERVICE>_URL`, else its port on this machine)."""
    env = os.environ if environ is None else environ
    urls = {}
    for name in SERVICES:
        port = env.get(f"CNNECT_{name.upper()}_PORT", API_PORTS[name])
        urls[name] = env.get(f"CNNECT_{name.upper()}_URL") or f"http://127.0.0.1:{port}"
    return urls


def bootstrap(
    settings: Settings | None = None, clock: Clock | None = None, *, cache_sessions: bool = False
) -> Gateway:
    """Create (if needed) and migrate the gateway database, and wire the gateway; a serving
    process keeps live sessions in memory (`cache_sessions`, see adapters/session_cache.py)."""
    settings = settings or load_settings("gateway")
    config = load_config(settings)  # a bad setting stops the start, naming its variable
    url = prepare_service_database(
        settings.postgres_url,
        settings.database or "cnnect_gateway",
        SCHEMA
        + ACCOUNT_TOKENS_SCHEMA
        + SAVED_ADDRESSES_SCHEMA
        + NAMES_SCHEMA
        + SECOND_FACTOR_SCHEMA
        + KEYRING_SCHEMA
        + FORGOTTEN_SCHEMA,
    )
    store = EventStore(open_pool(url, max_size=10, name="gateway"))
    cache = SessionCache(url) if cache_sessions else None
    if cache is not None:
        cache.start()
    return Gateway(
        settings,
        AccountStore(store, cache),
        service_urls(),
        clock or SystemClock(),
        config=config,
        keyring=PostgresKeyring(lambda: open_pool(url, max_size=4, name="gateway-keyring")),
    )
