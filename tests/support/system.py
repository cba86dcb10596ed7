"""The whole system as real processes, started from deploy/Procfile exactly as `make run`
starts them, but with this test's own databases, broker namespace and ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from importlib import import_module
from pathlib import Path
from typing import IO, Any, TypeVar

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from deploy.procfile import read_procfile, with_workers
from services.registry import SUBSCRIPTIONS
from shared.config import DEFAULT_PARTITIONS, with_database
from shared.events.database import drop_database, open_pool, prepare_service_database
from shared.events.topology import Topology
from shared.observability.ports import MAX_LOCAL_WORKERS, METRICS_OFFSETS, WORKER_INDEX_STEP
from shared.personal.personal_data import PersonalData
from shared.personal.postgres_keyring import PostgresKeyring
from shared.web.identity import Identity, issue_token
from tests.support.infra import Infra
from tests.support.ports import free_port
from tests.support.second_factor import remember, with_code
from tests.support.waiting import poll

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("orders", "billing", "messaging", "shipping")
SECRET = "e2e-identity-secret"
BANK_SECRET = "e2e-bank-secret"  # the bank's webhook secret, and the one it rotates from
OLD_BANK_SECRET = "e2e-bank-secret-previous"


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int, offsets: tuple[int, ...] = (0,)) -> list[int]:
    """`count` free API ports whose metrics ports (`port + offset`) are free too, and none of
    them one of another's."""
    chosen: list[int] = []
    taken: set[int] = set()
    while len(chosen) < count:
        port = free_port()
        block = {port + offset for offset in offsets}
        if max(block) < 65536 and not block & taken and all(map(_is_free, block)):
            chosen.append(port)
            taken |= block
    return chosen


def procfile(workers: int = 1) -> dict[str, str]:
    """Process name -> command, from deploy/Procfile, with `workers` workers per service."""
    return with_workers(read_procfile(ROOT / "deploy" / "Procfile"), workers)


class System:
    """Every service process, each restartable and killable by name.

    With `workers` > 1 each service's worker runs as `<service>-worker-0` .. `-<n-1>`, as
    `CNNECT_WORKERS=n make run` starts them."""

    def __init__(self, infra: Infra, log_dir: Path, workers: int = 1) -> None:
        self.infra = infra
        self.log_dir = log_dir
        self.workers = workers
        self.namespace = infra.name("sys")
        self.databases = {s: f"{self.namespace}_{s}" for s in (*SERVICES, "gateway")}
        names = (*SERVICES, "gateway")
        workers_offsets = {
            METRICS_OFFSETS["worker"] + WORKER_INDEX_STEP * i for i in range(MAX_LOCAL_WORKERS)
        }
        offsets = (0, *sorted(set(METRICS_OFFSETS.values()) | workers_offsets))
        self.ports = dict(zip(names, free_ports(len(names), offsets), strict=True))
        self.commands = procfile(workers)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "CNNECT_POSTGRES_URL": infra.postgres_url,
            "CNNECT_AMQP_URL": infra.amqp_url,
            "CNNECT_NAMESPACE": self.namespace,
            "CNNECT_IDENTITY_SECRET": SECRET,
            "CNNECT_LOG_LEVEL": "INFO",
            "CNNECT_BILLING_BANK_WEBHOOK_SECRETS": f"{BANK_SECRET},{OLD_BANK_SECRET}",
            "CNNECT_MESSAGING_SITE_URL": f"http://127.0.0.1:{self.ports['gateway']}",
            **{f"CNNECT_{s.upper()}_DATABASE": db for s, db in self.databases.items()},
            **{f"CNNECT_{s.upper()}_PORT": str(p) for s, p in self.ports.items()},
        }

    def topology(self) -> Topology:
        """The broker names of this system (its partitions as its processes see them)."""
        partitions = int(self.env.get("CNNECT_PARTITIONS") or DEFAULT_PARTITIONS)
        return Topology(self.namespace, partitions=partitions)

    def worker_names(self, service: str) -> list[str]:
        """The Procfile names of `service`'s worker processes."""
        return [n for n in self.commands if n.startswith(f"{service}-worker")]

    def url(self, service: str, path: str) -> str:
        """The URL of `path` on `service`'s API."""
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def metrics_url(self, process: str, path: str = "/metrics") -> str:
        """The URL of `path` on a Procfile process's metrics port (deploy/ports.json's rule:
        an API's own port; a worker's or relay's, and the gateway's, at an offset)."""
        service, _, kind = process.partition("-")
        port = self.ports[service] + (0 if kind == "api" else METRICS_OFFSETS[kind or service])
        return f"http://127.0.0.1:{port}{path}"

    def database_url(self, service: str) -> str:
        """The URL of `service`'s database."""
        return with_database(self.infra.postgres_url, self.databases[service])

    def prepare(self) -> None:
        """What `make run` does before starting: databases and topology. The migrations are
        `migrate`'s own step (each service's schemas on its database), run here in threads
        rather than four new interpreters: a system starts about 3 s sooner on two cores,
        and the suite starts a dozen of them."""

        def migrate(service: str) -> None:
            definition = import_module(f"services.{service}.bootstrap").DEFINITION
            url = self.infra.postgres_url
            prepare_service_database(url, self.databases[service], *definition.all_schemas())

        with ThreadPoolExecutor(len(SERVICES)) as pool:
            migrations = [pool.submit(migrate, service) for service in SERVICES]
            self.topology().declare_all(self.infra.amqp_url, SUBSCRIPTIONS)
            for migration in migrations:
                migration.result()

    def start(self, name: str) -> None:
        """Start one Procfile process (its own process group, logs to a file)."""
        log = self._logs.get(name) or (self.log_dir / f"{name}.log").open("ab")
        self._logs[name] = log
        self.processes[name] = subprocess.Popen(
            ["bash", "-c", self.commands[name]],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_all(self) -> None:
        """Start every process and wait until every API answers."""
        for name in self.commands:
            self.start(name)
        for service in (*SERVICES, "gateway"):
            self.wait_healthy(service)

    def wait_healthy(self, service: str, timeout: float = 60) -> None:
        """Wait until `service`'s API answers /healthz."""
        for attempt in Retrying(
            stop=stop_after_delay(timeout),
            wait=wait_fixed(0.2),
            retry=retry_if_exception_type(requests.RequestException),
            reraise=True,
        ):
            with attempt:
                requests.get(self.url(service, "/healthz"), timeout=2).raise_for_status()

    def check_running(self) -> None:
        """Every process still runs and every API answers (a test that kills one restarts it)."""
        stopped = [name for name, process in self.processes.items() if process.poll() is not None]
        assert not stopped, f"stopped: {stopped}\n{self.logs()}"
        for service in (*SERVICES, "gateway"):
            self.wait_healthy(service)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the whole process group of `name`."""
        process = self.processes[name]
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        if sig in (signal.SIGKILL, signal.SIGTERM):
            process.wait(timeout=20)

    def stop_all(self, graceful: bool = True) -> None:
        """SIGTERM every process, then SIGKILL what is left (or SIGKILL at once)."""
        for name in list(self.processes):
            with suppress(ProcessLookupError):
                os.killpg(self.processes[name].pid, signal.SIGTERM if graceful else signal.SIGKILL)
        deadline = time.monotonic() + 10
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(name)
        for log in self._logs.values():
            log.close()

    def clean_up(self) -> None:
        """Drop this system's databases and broker namespace."""
        for database in self.databases.values():
            drop_database(self.infra.postgres_url, database)
        self.topology().delete_all(self.infra.amqp_url, SUBSCRIPTIONS)

    def token(self, subject: str, role: str = "customer") -> dict[str, str]:
        """Authorization headers for a caller (what the gateway will mint)."""
        return {"Authorization": f"Bearer {issue_token(SECRET, Identity(subject, role))}"}

    def log(self, name: str) -> str:
        """Everything process `name` has logged so far."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def revealed(self, value: T) -> T:
        """`value` with the personal data sealed in it opened, with this system's keyring (in
        its gateway's database, docs/design.md "Personal data"), as the services' answers are."""
        keyring = PostgresKeyring(open_pool(self.database_url("gateway"), max_size=1))
        try:
            return PersonalData(keyring).reveal(value)
        finally:
            keyring.close()

    def logs(self) -> str:
        """The tail of every process log (for failure messages)."""
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.log_dir.glob("*.log"))
        )


@contextmanager
def running_system(
    infra: Infra, log_dir: Path, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[System]:
    """The whole system (with `env` added to its environment, `workers` workers per service),
    started, finally stopped."""
    system = System(infra, log_dir, workers)
    system.env.update(env or {})
    system.prepare()
    try:
        system.start_all()
        yield system
    finally:
        # Teardown kills at once: a graceful stop costs ~2 s (gunicorn's arbiter winds down)
        # for each of the suite's dozen systems, and nothing is checked after it.
        system.stop_all(graceful=False)
        system.clean_up()


__all__ = ["System", "free_port", "poll", "procfile", "running_system"]


def create_staff(
    system: System,
    email: str,
    password: str,
    name: str = "",
    role: str = "staff",
    enrol: bool = True,
) -> str:
    """A staff account, made the way operators make one: the gateway's create-user command
    (`name`: the display name staff read in order histories), its second factor set up at
    once (R26) unless not `enrol` (then at its first sign-in); returns its secret, also kept
    for sign-ins (tests/support/second_factor.py), or ''."""
    created = service_command(
        system,
        "gateway",
        "create-user",
        "--email",
        email,
        "--role",
        role,
        "--password",
        password,
        *(["--name", name] if name else []),
        *(["--enrol-second-factor"] if enrol else []),
    )
    return remember(email, created) if enrol else ""


def service_command(system: System, service: str, *args: str) -> str:
    """What `python -m services.<service> <args>` prints, run as an operator runs it against
    this system."""
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}", *args],
        env=system.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def staff_session(system: System, email: str, password: str, name: str = "") -> requests.Session:
    """A staff member created with create-user (named `name`, if given) and signed in to the
    gateway, as a browser."""
    create_staff(system, email, password, name)
    staff, _ = _browser(system, "signin", email, password, 200)
    return staff


SIGN_UP_PASSWORD = "a long enough password 1"


def sign_up(
    system: System, email: str, password: str = SIGN_UP_PASSWORD
) -> tuple[requests.Session, dict[str, Any]]:
    """A customer signed up through the gateway as a browser does: the session holding its
    cookie, and the answer (`account_id`, `csrf_token`, ...)."""
    return _browser(system, "signup", email, password, 201)


def _browser(
    system: System, action: str, email: str, password: str, expected: int
) -> tuple[requests.Session, dict[str, Any]]:
    """A browser-like session that posted its credentials to /auth/<action>, and the answer."""
    browser = requests.Session()
    credentials = {"email": email, "password": password}
    answer = browser.post(
        system.url("gateway", f"/auth/{action}"),
        json=with_code(email, credentials) if action == "signin" else credentials,
        timeout=10,
    )
    assert answer.status_code == expected, answer.text
    body: dict[str, Any] = answer.json()
    return browser, body
