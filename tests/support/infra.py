"""Where the tests find PostgreSQL and RabbitMQ: containers when a Docker engine is there,
otherwise the local servers named by environment URLs (localhost defaults)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"


@dataclass(frozen=True)
class Infra:
    """Server URLs for one test run, and a prefix that keeps its names apart from others."""

    postgres_url: str
    amqp_url: str
    run_id: str

    def name(self, what: str) -> str:
        """A name no other test run on this machine uses."""
        return f"t{self.run_id}_{what}_{uuid.uuid4().hex[:6]}"


def docker_available() -> bool:
    """True when a Docker engine answers (not just the client being installed)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@contextlib.contextmanager
def test_infra() -> Iterator[Infra]:
    """The servers for this run (started as containers when possible and not overridden)."""
    run_id = uuid.uuid4().hex[:8]
    explicit = "CNNECT_POSTGRES_URL" in os.environ or "CNNECT_AMQP_URL" in os.environ
    if explicit or os.environ.get("CNNECT_TEST_LOCAL") == "1" or not docker_available():
        yield Infra(
            os.environ.get("CNNECT_POSTGRES_URL", DEFAULT_POSTGRES),
            os.environ.get("CNNECT_AMQP_URL", DEFAULT_AMQP),
            run_id,
        )
        return
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with (
        PostgresContainer("postgres:15", driver=None) as pg,
        RabbitMqContainer("rabbitmq:3.13") as mq,
    ):
        params = mq.get_connection_params()
        amqp = f"amqp://guest:guest@{params.host}:{params.port}/%2F"
        yield Infra(pg.get_connection_url(), amqp, run_id)
