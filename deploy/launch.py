"""`make run`: check the servers, create the databases and the topology, start every process.

Usage: python deploy/launch.py [--prepare-only]

`CNNECT_WORKERS=3 make run` starts three workers per service (`<service>-worker-0..2`) instead
of one; `CNNECT_PARTITIONS` (default 8) sets the partition queues per service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import OperationalError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.procfile import read_procfile, render, with_workers  # noqa: E402
from services.registry import DEFINITIONS, SUBSCRIPTIONS  # noqa: E402
from shared.config import ConfigurationError, load_settings  # noqa: E402
from shared.events.errors import BrokerError  # noqa: E402
from shared.events.topology import Topology  # noqa: E402
from shared.observability.ports import API_PORTS  # noqa: E402

SERVICES = tuple(definition.name for definition in DEFINITIONS)
HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
    "(or, with Docker: docker compose -f deploy/compose.yaml up -d postgres)",
    "RabbitMQ": "rabbitmq-server -detached "
    "(or, with Docker: docker compose -f deploy/compose.yaml up -d rabbitmq)",
}


def check_servers() -> list[str]:
    """Names of the servers that cannot be reached, each with how to start it."""
    settings = load_settings("orders")
    problems = []
    try:
        with psycopg.connect(settings.postgres_url, connect_timeout=5):
            pass
    except OperationalError as exc:
        problems.append(
            f"PostgreSQL at {settings.postgres_url} is unreachable ({exc}).\n"
            f"  Start it: {HOW_TO_START['PostgreSQL']}"
        )
    try:
        topology = Topology(settings.namespace, partitions=settings.partitions)
        topology.declare_all(settings.amqp_url, SUBSCRIPTIONS)
    except BrokerError as exc:
        problems.append(
            f"RabbitMQ at {settings.amqp_url} is unreachable ({exc}).\n"
            f"  Start it: {HOW_TO_START['RabbitMQ']}"
        )
    return problems


def prepare() -> None:
    """Create and migrate each service database (the topology was declared by the check)."""
    for service in SERVICES:
        subprocess.run(
            [sys.executable, "-m", f"services.{service}", "migrate"], check=True, cwd=ROOT
        )


def procfile(workers: int, extra: dict[str, str] | None = None) -> Path:
    """deploy/Procfile itself for one worker per service and no extra process; else its
    expansion in .run/ (with `extra` entries: the development PayPal stand-in)."""
    source = ROOT / "deploy" / "Procfile"
    if workers == 1 and not extra:
        return source
    expanded = ROOT / ".run" / "Procfile"
    expanded.parent.mkdir(exist_ok=True)
    expanded.write_text(render({**with_workers(read_procfile(source), workers), **(extra or {})}))
    return expanded


def development_paypal(gateway_port: int) -> dict[str, str]:
    """In development, unless billing is given a PayPal of its own: the PayPal stand-in's
    Procfile entry, billing's settings pointing at it set in this environment."""
    # Imported here: the production image has no stand-in (and runs --prepare-only).
    from deploy.paypal_standin.launching import standin_setup

    entries, settings = standin_setup(os.environ, gateway_port)
    for name, value in settings.items():
        os.environ[name] = value
    return entries


def workers_from_env() -> int:
    """`CNNECT_WORKERS`: how many workers per service (default 1)."""
    raw = os.environ.get("CNNECT_WORKERS", "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"CNNECT_WORKERS must be a positive integer, not {raw!r}")
    return int(raw)


def main() -> int:
    """Prepare everything, then run the Procfile until Ctrl-C."""
    workers = workers_from_env()
    problems = check_servers()
    if problems:
        print("cannot start CNNECT:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    prepare()
    if "--prepare-only" in sys.argv:
        return 0
    print("\nCNNECT is starting. Open:")
    gateway_port = os.environ.get("CNNECT_GATEWAY_PORT", API_PORTS["gateway"])
    standin = development_paypal(int(gateway_port))
    print(f"  {'website':<10} http://127.0.0.1:{gateway_port}/   (customers: sign up, order, pay)")
    print(f"  {'console':<10} http://127.0.0.1:{gateway_port}/staff   (staff; accounts from")
    print("             .venv/bin/python -m services.gateway create-user --email E --role staff)")
    for service in SERVICES:
        port = os.environ.get(f"CNNECT_{service.upper()}_PORT", API_PORTS[service])
        print(f"  {service:<10} http://127.0.0.1:{port}/healthz   (API, OpenAPI at /openapi.json)")
    if standin:
        print(f"  {'paypal':<10} {os.environ['CNNECT_BILLING_PAYPAL_BASE_URL']}   (development")
        print("             stand-in for PayPal: card payments are approved there; no money moves)")
    if workers > 1:
        print(f"  {'workers':<10} {workers} per service (<service>-worker-0..{workers - 1})")
    print("Metrics: each API's /metrics; workers on API port + 1000, relays + 2000, the gateway")
    print("on its port + 1000 (deploy/ports.json). Logs: text here (CNNECT_LOG_FORMAT=json for")
    print("one JSON object per line); one order's story: grep its X-Correlation-Id.")
    print("Ctrl-C stops every process.\n", flush=True)
    # People read these logs, prefixed by honcho: text unless asked otherwise.
    os.environ.setdefault("CNNECT_LOG_FORMAT", "text")
    honcho = Path(sys.executable).with_name("honcho")
    # The Procfile says `python`: the one of this virtualenv.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.chdir(ROOT)
    processes = procfile(workers, standin)
    os.execv(str(honcho), [str(honcho), "-f", str(processes), "-d", str(ROOT), "start"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
