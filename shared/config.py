"""Configuration from `CNNECT_*` environment variables, with defaults for a developer machine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

DEV_TOKEN_SECRET = "dev-only-identity-secret"
DEFAULT_BIND_HOST = "127.0.0.1"
# Partition queues per consuming service (see shared/events/partitions.py).
DEFAULT_PARTITIONS = 8
T = TypeVar("T")


class ConfigurationError(RuntimeError):
    """A setting is missing or unusable."""


@dataclass(frozen=True)
class Settings:
    """Everything a service process needs to find its database, the broker and its peers."""

    service: str
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    database: str = ""
    # One broker node's URL, or a cluster's nodes as URLs separated by commas (see
    # `broker_urls`): clients connect to the first live node and fail over to the others.
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    namespace: str = "cnnect"
    # Relays, workers and `make run` must agree on it: see shared/events/partitions.py.
    partitions: int = DEFAULT_PARTITIONS
    identity_secret: str = DEV_TOKEN_SECRET
    production: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        """The URL of this service's own database."""
        return with_database(self.postgres_url, self.database or f"cnnect_{self.service}")

    @property
    def exchange(self) -> str:
        """The one topic exchange carrying integration events."""
        return f"{self.namespace}.events"

    def setting(self, key: str, default: str, parse: Callable[[str], T]) -> T:
        """The service's own setting `key` (`CNNECT_<SERVICE>_<KEY>`, else `default`) parsed:
        a value `parse` refuses stops the start with the variable's name."""
        raw = self.extra.get(key, default)
        try:
            return parse(raw)
        except (ValueError, ArithmeticError) as exc:  # Decimal's refusals are arithmetic
            reason = str(exc) if isinstance(exc, ValueError) else "not a number"
            variable = f"CNNECT_{self.service}_{key}".upper()
            raise ConfigurationError(f"{variable} cannot be {raw!r}: {reason}") from exc


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def broker_urls(amqp_url: str) -> tuple[str, ...]:
    """The broker nodes `CNNECT_AMQP_URL` names, in the order clients try them.

    One URL names one node, as always; a cluster is several URLs separated by commas (kombu
    writes `;` for the same list; a comma is what Kubernetes and compose files quote least):

        amqp://u:p@rabbit-0:5672/%2F,amqp://u:p@rabbit-1:5672/%2F,amqp://u:p@rabbit-2:5672/%2F

    Every AMQP client connects to the first node that answers and, when its connection breaks,
    to the first that answers then. Each URL is whole (credentials, vhost, options): a comma
    inside one must be written `%2C`."""
    urls = tuple(part.strip() for part in amqp_url.split(",") if part.strip())
    if not urls:
        raise ConfigurationError("CNNECT_AMQP_URL names no broker")
    for url in urls:
        if url.count("://") > 1:
            raise ConfigurationError(f"CNNECT_AMQP_URL: separate the nodes of {url!r} by commas")
        if urlsplit(url).scheme not in ("amqp", "amqps") or not urlsplit(url).hostname:
            raise ConfigurationError(
                f"CNNECT_AMQP_URL: {url!r} is not an amqp:// or amqps:// URL with a host"
            )
    return urls


def bind_host(environ: Mapping[str, str] | None = None) -> str:
    """The address the HTTP servers listen on (`CNNECT_BIND_HOST`).

    The loopback interface on a developer machine; `0.0.0.0` in a container, where the other
    containers (and the platform's probes) reach the port from outside."""
    env = os.environ if environ is None else environ
    return env.get("CNNECT_BIND_HOST", "") or DEFAULT_BIND_HOST


def load_settings(service: str, environ: dict[str, str] | None = None) -> Settings:
    """Read the settings of `service` from `CNNECT_*` variables."""
    env = dict(os.environ if environ is None else environ)
    production = env.get("CNNECT_ENV", "development") == "production"
    secret = env.get("CNNECT_IDENTITY_SECRET", "")
    if not secret:
        if production:
            raise ConfigurationError("CNNECT_IDENTITY_SECRET must be set in production")
        secret = DEV_TOKEN_SECRET
    prefix = f"CNNECT_{service.upper()}_"
    defaults = Settings(service=service)
    return Settings(
        service=service,
        postgres_url=env.get("CNNECT_POSTGRES_URL", defaults.postgres_url),
        database=env.get(f"{prefix}DATABASE", ""),
        amqp_url=env.get("CNNECT_AMQP_URL", defaults.amqp_url),
        namespace=env.get("CNNECT_NAMESPACE", defaults.namespace),
        partitions=_partitions(env),
        identity_secret=secret,
        production=production,
        extra={k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)},
    )


def _partitions(env: dict[str, str]) -> int:
    raw = env.get("CNNECT_PARTITIONS", "").strip()
    try:
        partitions = int(raw) if raw else DEFAULT_PARTITIONS
    except ValueError as exc:
        raise ConfigurationError(f"CNNECT_PARTITIONS must be an integer, not {raw!r}") from exc
    if partitions < 1:
        raise ConfigurationError(f"CNNECT_PARTITIONS must be at least 1, not {partitions}")
    return partitions
