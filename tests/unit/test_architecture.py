"""The architecture rules of docs/design.md, checked by import-linter and by the topology."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.events.contracts import CONTRACTS
from shared.events.topology import SUBSCRIPTIONS
from shared.runtime import ServiceDefinition

ROOT = Path(__file__).resolve().parents[2]


def test_no_service_imports_another_and_domains_do_no_io() -> None:
    result = subprocess.run(
        [Path(sys.executable).with_name("lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _definitions() -> list[ServiceDefinition]:
    from services.billing.bootstrap import DEFINITION as billing
    from services.messaging.bootstrap import DEFINITION as messaging
    from services.orders.bootstrap import DEFINITION as orders
    from services.shipping.bootstrap import DEFINITION as shipping

    return [orders, billing, messaging, shipping]


@pytest.mark.parametrize("definition", _definitions(), ids=lambda d: d.name)
def test_each_service_handles_exactly_what_its_queue_is_bound_to(
    definition: ServiceDefinition,
) -> None:
    bound = {key.split(".", 1)[1] for key in SUBSCRIPTIONS[definition.name]}
    handled = set(definition.handlers(None))  # type: ignore[arg-type]
    assert bound == handled
    for key in SUBSCRIPTIONS[definition.name]:
        producer, event_type = key.split(".")
        assert CONTRACTS.contract(event_type).producer == producer
