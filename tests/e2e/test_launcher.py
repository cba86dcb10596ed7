"""`make run`'s launcher says which server is unreachable and how to start it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.system import ROOT, free_port


def test_make_run_names_each_unreachable_server_and_exits_non_zero() -> None:
    env = {
        **os.environ,
        "CNNECT_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/postgres",
        "CNNECT_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F",
    }
    result = subprocess.run(
        [sys.executable, "deploy/launch.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "PostgreSQL at" in result.stderr and "pg_ctlcluster" in result.stderr
    assert "RabbitMQ at" in result.stderr and "rabbitmq-server -detached" in result.stderr
