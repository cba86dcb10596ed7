"""What the code says about deploying it: the ports its processes listen on and the routes
its HTTP apps serve (the apps are built by their own `create_app`, over a store that does
nothing: building them touches no database)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from shared.config import load_settings
from tests.deploy.procfile import ROOT


class NullStore:
    """A store that never runs anything (an app's creation may seed through it)."""

    def transact(self, *args: Any, **kwargs: Any) -> None:
        """Nothing happens."""


def default_ports(services: list[str]) -> dict[str, int]:
    """Each service's port when nothing overrides it: the gateway's and each definition's."""
    from services.gateway.bootstrap import DEFAULT_PORT

    ports = {"gateway": DEFAULT_PORT}
    for service in services:
        if service != "gateway":
            bootstrap = importlib.import_module(f"services.{service}.bootstrap")
            ports[service] = bootstrap.DEFINITION.default_port
    return ports


def gateway_view_of_ports() -> dict[str, int]:
    """The ports the gateway falls back to for each service (no CNNECT_<SERVICE>_URL)."""
    from services.gateway.bootstrap import SERVICES

    return dict(SERVICES)


def launcher_ports() -> dict[str, int]:
    """The ports `make run` prints (deploy/launch.py)."""
    spec = importlib.util.spec_from_file_location("cnnect_launch", ROOT / "deploy" / "launch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ports: dict[str, int] = module.PORTS
    return ports


def routes(service: str) -> set[str]:
    """The URL rules of a service's app (or the gateway's)."""
    return {rule.rule for rule in _app_factory(service)().url_map.iter_rules()}


def _app_factory(service: str) -> Callable[[], Any]:
    if service == "gateway":
        from services.gateway.bootstrap import Gateway, service_urls
        from services.gateway.entrypoints.app import create_app
        from shared.events.clock import SystemClock

        gateway = Gateway(load_settings("gateway"), None, service_urls(), SystemClock())  # type: ignore[arg-type]
        return lambda: create_app(gateway)
    definition = importlib.import_module(f"services.{service}.bootstrap").DEFINITION
    context = SimpleNamespace(
        settings=load_settings(service),
        store=NullStore(),
        clock=None,
        topology=None,
        projections=(),
    )
    return lambda: definition.create_app(context)
