"""What the code says about deploying it: the routes its HTTP apps serve (the apps are built
by their own `create_app`, over a store that does nothing: building them touches no
database)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from shared.config import load_settings


class NullStore:
    """A store that never runs anything (an app's creation may seed through it)."""

    def transact(self, *args: Any, **kwargs: Any) -> None:
        """Nothing happens."""

    def add_after_commit_hook(self, hook: Any) -> None:
        """No transaction ever commits: nothing to tell."""


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
