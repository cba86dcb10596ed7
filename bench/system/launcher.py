"""The system under test: every deploy/Procfile command started as `make run` starts it
(tests/support/system.py's System: own databases, broker namespace and ports), with N copies
of each `<service>-worker`, a local fake PayPal that billing talks to, and a local SMTP server
that takes messaging's e-mails (without one, every e-mail failed and was retried: the figures
counted a retry storm no real deployment has)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import DEFAULT_AMQP, DEFAULT_POSTGRES, note
from deploy.paypal_standin import PayPalStandIn, running_standin
from tests.support.infra import Infra
from tests.support.smtp_server import SmtpTestServer
from tests.support.system import BANK_SECRET, System


def with_workers(commands: dict[str, str], workers: int) -> dict[str, str]:
    """The Procfile with `workers` copies of each `<service>-worker` command, copy i told
    its place by CNNECT_WORKER_INDEX=i and CNNECT_WORKERS=N (one copy keeps its name)."""
    result: dict[str, str] = {}
    for name, command in commands.items():
        if not name.endswith("-worker"):
            result[name] = command
            continue
        for index in range(workers):
            label = name if workers == 1 else f"{name}.{index + 1}"
            result[label] = (
                f"export CNNECT_WORKERS={workers} CNNECT_WORKER_INDEX={index}; {command}"
            )
    return result


class BenchSystem(System):
    """The whole system with `workers` worker processes per service."""

    def __init__(self, infra: Infra, log_dir: Path, workers: int) -> None:
        super().__init__(infra, log_dir)
        self.commands = with_workers(self.commands, workers)

    def pids(self) -> dict[str, int]:
        """Process name -> pid (each is the Procfile command itself: `exec` replaces bash)."""
        return {name: process.pid for name, process in self.processes.items()}


@dataclass(frozen=True)
class Launched:
    """The running system and the fake PayPal."""

    system: BenchSystem
    paypal: PayPalStandIn


@contextmanager
def launched(workers: int, log_dir: Path) -> Iterator[Launched]:
    """Start everything; stop it and drop its databases and namespace at the end."""
    infra = Infra(
        os.environ.get("CNNECT_POSTGRES_URL", DEFAULT_POSTGRES),
        os.environ.get("CNNECT_AMQP_URL", DEFAULT_AMQP),
        f"bench{uuid.uuid4().hex[:6]}",
    )
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    with running_standin() as paypal, SmtpTestServer() as smtp:
        system = BenchSystem(infra, log_dir, workers)
        system.env.update(paypal.billing_env())
        system.env.update(
            CNNECT_MESSAGING_SMTP_HOST=smtp.host, CNNECT_MESSAGING_SMTP_PORT=str(smtp.port)
        )
        note(f"starting {len(system.commands)} processes (namespace {system.namespace})")
        system.prepare()
        try:
            system.start_all()
            yield Launched(system, paypal)
        finally:
            system.stop_all()
            system.clean_up()


__all__ = ["BANK_SECRET", "BenchSystem", "Launched", "launched"]
