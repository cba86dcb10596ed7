"""CNNECT_AMQP_URL naming one broker node or a cluster's nodes (comma-separated)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from shared.config import ConfigurationError, broker_urls
from shared.events.bus import connection_parameters

ONE = "amqp://guest:guest@127.0.0.1:5672/%2F"
THREE = (
    "amqp://u:p@rabbit-0:5672/%2F, amqp://u:p@rabbit-1:5673/%2F,"
    "amqps://u:p@rabbit-2/cnnect?heartbeat=10"
)


def test_a_single_url_names_one_node_as_before() -> None:
    assert broker_urls(ONE) == (ONE,)
    [params] = connection_parameters(ONE)
    assert (params.host, params.port, params.virtual_host) == ("127.0.0.1", 5672, "/")


def test_a_cluster_is_its_nodes_urls_separated_by_commas_in_the_order_given() -> None:
    assert broker_urls(THREE) == (
        "amqp://u:p@rabbit-0:5672/%2F",
        "amqp://u:p@rabbit-1:5673/%2F",
        "amqps://u:p@rabbit-2/cnnect?heartbeat=10",
    )


def test_each_node_keeps_its_own_credentials_vhost_and_port_and_our_timeouts() -> None:
    nodes = connection_parameters(THREE)
    assert [(p.host, p.port) for p in nodes] == [
        ("rabbit-0", 5672),
        ("rabbit-1", 5673),
        ("rabbit-2", 5671),
    ]
    assert nodes[2].virtual_host == "cnnect"
    assert all(p.credentials.username == "u" for p in nodes)
    assert all(p.connection_attempts == 1 and p.socket_timeout == 5 for p in nodes)


def test_blanks_and_a_trailing_comma_are_ignored() -> None:
    assert broker_urls(f" {ONE} ,, ") == (ONE,)


@pytest.mark.parametrize(
    "value",
    ["", " , ", "rabbit-0:5672", f"{ONE};{ONE}", "http://rabbit:15672/"],
    ids=["empty", "only-commas", "no-scheme", "kombu-semicolons", "http"],
)
def test_a_value_that_names_no_usable_node_is_refused_with_the_variable_named(
    value: str,
) -> None:
    with pytest.raises(ConfigurationError, match="CNNECT_AMQP_URL"):
        broker_urls(value)


def test_the_container_health_check_accepts_a_connection_to_any_node() -> None:
    script = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"
    spec = importlib.util.spec_from_file_location("cnnect_healthcheck_nodes", script)
    assert spec is not None and spec.loader is not None
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    assert healthcheck.broker_ports(THREE) == {5672, 5673, 5671}
    assert healthcheck.broker_ports(ONE) == {5672}
