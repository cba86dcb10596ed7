"""deploy/healthcheck.py, the health check of workers and relays: connected to the broker."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from types import ModuleType

import pika
import pytest

from tests.deploy.procfile import ROOT
from tests.support.infra import Infra

SCRIPT = ROOT / "deploy" / "healthcheck.py"
# A /proc/net/tcp table: a listener on 8101, a connection to 5672 (0x1628), one closing.
TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1FA5 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001 0 1 1
   1: 0100007F:C8F2 0A00000B:1628 01 00000000:00000000 02:000A8C2D 00000000 10001 0 2 1
   2: 0100007F:C8F4 0A00000B:0050 06 00000000:00000000 03:00001717 00000000 0 0 0 3
"""
TABLE6 = """\
  sl  local_address                         remote_address                        st
   0: 00000000000000000000000001000000:D431 00000000000000000000000001000000:1627 01
"""


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cnnect_healthcheck", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_established_connections_count(healthcheck: ModuleType) -> None:
    assert healthcheck.established_remote_ports(TABLE) == {5672}
    assert healthcheck.established_remote_ports(TABLE6) == {5671}
    assert healthcheck.connected(5672, [TABLE])
    assert not healthcheck.connected(5672, [TABLE6])


def test_the_broker_port_comes_from_the_amqp_url(healthcheck: ModuleType) -> None:
    assert healthcheck.broker_port("amqp://u:p@cnnect-rabbitmq:5672/%2F") == 5672
    assert healthcheck.broker_port("amqp://u:p@rabbitmq/%2F") == 5672
    assert healthcheck.broker_port("amqps://u:p@rabbitmq/%2F") == 5671
    assert healthcheck.broker_port("amqp://u:p@rabbitmq:5673/%2F") == 5673


def check(*prefix: str, amqp_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, str(SCRIPT), "broker"],
        env={"CNNECT_AMQP_URL": amqp_url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_process_holding_a_broker_connection_is_healthy(infra: Infra) -> None:
    """Against the real broker: healthy with a connection open in this network namespace."""
    connection = pika.BlockingConnection(pika.URLParameters(infra.amqp_url))
    try:
        result = check(amqp_url=infra.amqp_url)
    finally:
        connection.close()
    assert result.returncode == 0, result.stderr


def test_a_container_without_a_broker_connection_is_unhealthy() -> None:
    """In a network namespace of its own (nothing connected), where the kernel allows one."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], check=False).returncode:
        pytest.skip("no unprivileged network namespace here")
    result = check(unshare, "-rn", amqp_url="amqp://guest:guest@127.0.0.1:5672/%2F")
    assert result.returncode == 1
    assert "no established connection to the broker's port 5672" in result.stderr


def test_an_unknown_check_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "nothing"], capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 2
