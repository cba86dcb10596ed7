"""A gateway of its own for tests that need only the gateway (its pages, headers, sign-in):
a fresh database on the test PostgreSQL, the services pointed at a port where nothing
answers (their sections say they are away), and, if asked, served over HTTP on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from services.gateway.bootstrap import SERVICES, Gateway, bootstrap
from services.gateway.entrypoints.app import create_app
from shared.config import Settings
from shared.events.database import drop_database
from tests.support.infra import Infra
from tests.support.ports import serving
from tests.support.system import SECRET

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers


@contextmanager
def standalone_gateway(infra: Infra) -> Iterator[Gateway]:
    """The gateway's wiring over a database of its own, dropped on exit."""
    name = infra.name("gw")
    settings = Settings(
        service="gateway",
        postgres_url=infra.postgres_url,
        database=name,
        amqp_url=infra.amqp_url,
        namespace=infra.name("ns"),
        identity_secret=SECRET,
    )
    wired = bootstrap(settings)
    wired.services = {service: NOWHERE for service in SERVICES}
    try:
        yield wired
    finally:
        wired.close()
        drop_database(infra.postgres_url, name)


@contextmanager
def served(gateway: Gateway) -> Iterator[str]:
    """The gateway app served on a free loopback port (threaded): its base URL."""
    with serving(make_server("127.0.0.1", 0, create_app(gateway), threaded=True)) as server:
        yield f"http://127.0.0.1:{server.server_port}"
