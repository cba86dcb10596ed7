"""The scanner that finds the `CNNECT_*` variables the code reads (the consistency tests
trust it, so it is tested on the shapes of code it must understand)."""

from __future__ import annotations

import textwrap

from tests.deploy.env_reads import names, scan_source, scan_tree, service_of
from tests.deploy.procfile import ROOT, processes, services

SERVICES = ["gateway", "orders", "billing"]


def scan(source: str, path: str = "shared/example.py") -> set[str]:
    return names(scan_source(textwrap.dedent(source), path, SERVICES))


def test_literal_reads_through_any_mapping_and_getenv() -> None:
    found = scan(
        """
        import os
        def f(env):
            a = os.environ.get("CNNECT_A", "x")
            b = env["CNNECT_B"]
            c = os.getenv("CNNECT_C")
            return "CNNECT_D" in os.environ, env.pop("CNNECT_E", None)
        """
    )
    assert found == {"CNNECT_A", "CNNECT_B", "CNNECT_C", "CNNECT_D", "CNNECT_E"}


def test_writes_messages_and_docstrings_are_not_reads() -> None:
    found = scan(
        '''
        import os
        def f():
            """Reads CNNECT_DOC."""
            os.environ["CNNECT_WRITTEN"] = "1"
            raise ValueError("CNNECT_MESSAGE is not configured")
        '''
    )
    assert found == set()


def test_a_placeholder_stands_for_the_collection_its_loop_iterates() -> None:
    found = scan(
        """
        SERVICES = {"orders": 8101, "billing": 8102}
        PORTS = ("orders",)
        def urls(env):
            out = {name: env.get(f"CNNECT_{name.upper()}_URL") for name in SERVICES}
            for name, port in SERVICES.items():
                out[name] = env.get(f"CNNECT_{name.upper()}_PORT", port)
            for service in PORTS:
                env.get("CNNECT_" + service.upper() + "_HOST")
            return out
        """
    )
    assert found == {
        "CNNECT_ORDERS_URL",
        "CNNECT_BILLING_URL",
        "CNNECT_ORDERS_PORT",
        "CNNECT_BILLING_PORT",
        "CNNECT_ORDERS_HOST",
    }


def test_a_free_placeholder_stands_for_every_service_even_through_a_local_prefix() -> None:
    found = scan(
        """
        def load(service, env):
            prefix = f"CNNECT_{service.upper()}_"
            return env.get(f"{prefix}DATABASE", "")
        """
    )
    assert found == {"CNNECT_GATEWAY_DATABASE", "CNNECT_ORDERS_DATABASE", "CNNECT_BILLING_DATABASE"}


def test_extras_name_the_variables_of_the_modules_service() -> None:
    source = """
        def rule(ctx):
            extra = ctx.settings.extra
            rate = ctx.settings.setting("cny_rate", "0.128", Decimal)
            return extra.get("currency", "EUR"), ctx.settings.extra["fee_percent"], rate
        """
    keys = ("CURRENCY", "FEE_PERCENT", "CNY_RATE")
    assert scan(source, "services/billing/config.py") == {f"CNNECT_BILLING_{k}" for k in keys}
    assert scan(source, "shared/runtime.py") == {
        f"CNNECT_{s.upper()}_{k}" for s in SERVICES for k in keys
    }


def test_modules_belong_to_their_service() -> None:
    assert service_of("services/billing/entrypoints/card_api.py") == "billing"
    assert service_of("shared/config.py") is None
    assert service_of("deploy/launch.py") is None


def test_the_real_code_is_understood() -> None:
    """Anchors: reads of each shape the code has today (a scanner that finds nothing fails)."""
    reads = scan_tree(ROOT, services(processes()))
    by_name = {r.name: r for r in reads}
    assert by_name["CNNECT_POSTGRES_URL"].path == "shared/config.py"
    assert by_name["CNNECT_BILLING_BANK_WEBHOOK_SECRETS"].via == "extra"
    assert by_name["CNNECT_SHIPPING_URL"].path == "services/gateway/bootstrap.py"
    assert "CNNECT_MESSAGING_DATABASE" in by_name
    assert "CNNECT_GATEWAY_URL" not in by_name  # the gateway asks for the four services only
    assert not any("/tests/" in r.path for r in reads)
