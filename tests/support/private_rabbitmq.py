"""A private RabbitMQ node for tests that stop, kill or restart the broker, so the shared
node at 5672 (which other tests use concurrently) is never touched.

The node gets its own name (`bench-<random>@localhost`), free ports for AMQP, Erlang
distribution and its own `epmd`, an empty config (no listener on 5672), no plugins, and a
data/log directory under a temporary base directory. Its Erlang cookie is written to
`<base>/home/.erlang.cookie` and every `rabbitmq-server`/`rabbitmqctl` call gets
`HOME=<base>/home`, so neither the shared node's cookie (/var/lib/rabbitmq) nor root's is read
or created. The scripts of /usr/lib/rabbitmq/bin are called directly: the /usr/sbin wrappers
of the Debian package `su` to the `rabbitmq` user and would use that user's cookie and HOME.

    with private_rabbitmq() as broker:
        broker.amqp_url        # amqp://guest:guest@127.0.0.1:<port>/%2F
        broker.kill()          # SIGKILL the whole node, as a crash would
        broker.start()         # boot it again on the same data (durable queues survive)

Everything started here is ended by its own process id (never by name) and the base
directory is removed when the block ends.

A node of a cluster (tests/cluster/rabbitmq.py) is built with parameters: its name, the
cluster's shared cookie, the epmd port of the node that runs the cluster's one epmd
(`epmd_port`: this node then starts none), its rabbitmq.conf and extra VM arguments."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.ports import free_port

log = logging.getLogger(__name__)

_CANDIDATE_BIN_DIRS = (
    os.environ.get("CNNECT_RABBITMQ_BIN", ""),
    "/usr/lib/rabbitmq/bin",
    "/usr/local/lib/rabbitmq/bin",
    "/opt/rabbitmq/sbin",
)


class PrivateRabbitMQUnavailable(RuntimeError):
    """RabbitMQ server scripts or epmd are not installed here."""


def rabbitmq_bin_dir() -> Path:
    """The directory holding the real `rabbitmq-server` and `rabbitmqctl` scripts."""
    for candidate in _CANDIDATE_BIN_DIRS:
        if candidate and (Path(candidate) / "rabbitmq-server").exists():
            return Path(candidate)
    raise PrivateRabbitMQUnavailable("no rabbitmq-server script found")


def _gone(pid: int) -> bool:
    """True when `pid` has exited (a zombie nobody reaps counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


class PrivateRabbitMQ:
    """One RabbitMQ node of this test alone (see the module docstring)."""

    def __init__(
        self,
        base: Path,
        *,
        node: str | None = None,
        cookie: str | None = None,
        epmd_port: int | None = None,
        config: str = "",
        erl_args: str = "",
    ) -> None:
        self.base = base
        self.bin_dir = rabbitmq_bin_dir()
        self.node = node or f"bench-{secrets.token_hex(4)}@localhost"
        self.amqp_port = free_port()
        self.dist_port = free_port()
        # Another node's epmd when given (that node starts and ends it), else one of our own.
        self.owns_epmd = epmd_port is None
        self.epmd_port = epmd_port or free_port()
        self.cookie = cookie or "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))
        self.config = config
        self.erl_args = erl_args
        self.home = base / "home"
        self.server_log = base / "server.log"
        self._epmd: subprocess.Popen[bytes] | None = None
        self._server: subprocess.Popen[bytes] | None = None
        self._prepare_files()

    @property
    def amqp_url(self) -> str:
        """The AMQP URL of this node (default guest user, allowed from localhost)."""
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/%2F"

    # --- files and environment ------------------------------------------------------------
    def _prepare_files(self) -> None:
        for directory in ("home", "mnesia", "log"):
            (self.base / directory).mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(self.cookie)
        cookie.chmod(0o400)
        (self.base / "rabbitmq.conf").write_text(self.config)
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")

    def env(self) -> dict[str, str]:
        """The environment of every server and CLI call for this node."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_"))
        }
        env.update(
            HOME=str(self.home),
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_PID_FILE=str(self.base / "node.pid"),
            # An empty config file, so /etc/rabbitmq/rabbitmq.conf (listener on 5672) is not read.
            RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.base / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
            # Nor /etc/rabbitmq/rabbitmq-env.conf (it names the shared node rabbit@localhost).
            RABBITMQ_CONF_ENV_FILE=str(self.base / "rabbitmq-env.conf"),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=" ".join(
                ("-kernel inet_dist_use_interface {127,0,0,1}", self.erl_args)
            ).strip(),
            ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_EPMD_PORT=str(self.epmd_port),
        )
        return env

    # --- the node -------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Boot the node (on its existing data, if any) and wait until it accepts clients."""
        self.launch()
        self.await_startup(timeout)

    def launch(self) -> None:
        """Boot the node without waiting for it (several nodes then boot side by side)."""
        if self._server is not None and self._server.poll() is None:
            raise RuntimeError(f"{self.node} is already running")
        self._start_epmd()
        with open(self.server_log, "ab") as output:
            self._server = subprocess.Popen(
                [str(self.bin_dir / "rabbitmq-server")],
                cwd=self.base,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Its own process group: the wrapper shell and beam.smp are killed together.
                start_new_session=True,
            )

    def _start_epmd(self) -> None:
        if not self.owns_epmd or (self._epmd is not None and self._epmd.poll() is None):
            return
        erl = shutil.which("erl")
        epmd = shutil.which("epmd") or (str(Path(erl).parent / "epmd") if erl else None)
        if epmd is None or not Path(epmd).exists():
            raise PrivateRabbitMQUnavailable("no epmd found (Erlang is not installed)")
        self._epmd = subprocess.Popen(
            [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def await_startup(self, timeout: float = 90.0) -> None:
        """Wait until the launched node has booted and accepts clients."""
        deadline = time.monotonic() + timeout
        while True:
            assert self._server is not None
            if self._server.poll() is not None:
                raise RuntimeError(
                    f"{self.node} exited with {self._server.returncode} while booting:\n"
                    + self.log_tail()
                )
            # Fails at once while the node is not registered with epmd yet, then waits for the
            # boot to finish (listeners included).
            result = self.ctl("await_startup", "--timeout", "60", check=False, timeout=70)
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.node} did not start in {timeout:.0f}s:\n"
                    + result.stdout
                    + result.stderr
                    + self.log_tail()
                )
            time.sleep(0.2)

    def ctl(
        self, *args: str, check: bool = True, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        """Run `rabbitmqctl -n <node> <args>` against this node."""
        return subprocess.run(
            [str(self.bin_dir / "rabbitmqctl"), "-n", self.node, "-q", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def restart_app(self) -> None:
        """Stop and start the RabbitMQ application cleanly (the VM keeps running).

        Besides a broker blip, this makes the node write everything it still holds in memory
        to disk. RabbitMQ 3.10 (Ra 2.2) records the members of quorum queues in a dets table
        saved at most every 500 ms; a node killed right after declaring a quorum queue can
        lose that record, and the queue then never elects a leader after the restart
        ("leader not known", cf. rabbitmq/rabbitmq-server#10070). Restarting the application
        once after declaring the topology is what makes a later crash a fair test."""
        self.ctl("stop_app")
        self.ctl("start_app")
        self.ctl("await_startup", "--timeout", "60", timeout=70)

    def node_pid(self) -> int | None:
        """The pid of the node's beam.smp, from its pid file."""
        try:
            return int((self.base / "node.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def kill(self) -> None:
        """SIGKILL the node, wrapper and VM at once, as a crash or power loss would."""
        server, self._server = self._server, None
        if server is None:
            return
        beam = self.node_pid()
        # The VM first: the wrapper shell waits for it, reaps it and exits. (Killing the shell
        # first would leave the VM to init, which may never reap it here.)
        if beam is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(beam, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # anything left of its process group
        server.wait(timeout=30)
        self._wait_gone(beam)

    def stop(self) -> None:
        """Stop the node cleanly (`rabbitmqctl shutdown`), killing it if that fails."""
        server = self._server
        if server is None:
            return
        beam = self.node_pid()
        try:
            self.ctl("shutdown", timeout=60)
            server.wait(timeout=30)
        except (subprocess.SubprocessError, OSError):
            self.kill()
            return
        self._server = None
        self._wait_gone(beam)

    @staticmethod
    def _wait_gone(pid: int | None, timeout: float = 30.0) -> None:
        if pid is None:
            return
        deadline = time.monotonic() + timeout
        while not _gone(pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"beam.smp {pid} did not exit")
            time.sleep(0.05)

    def close(self) -> None:
        """Kill the node and its epmd, then remove every file of it."""
        try:
            self.kill()
        finally:
            epmd, self._epmd = self._epmd, None
            if epmd is not None and epmd.poll() is None:
                epmd.kill()
                epmd.wait(timeout=10)

    def save_logs(self, destination: Path) -> None:
        """Copy the server output and the node's log files to `destination` (kept by pytest)."""
        destination.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            shutil.copy(self.server_log, destination / "server.log")
        with contextlib.suppress(FileNotFoundError):
            shutil.copytree(self.base / "log", destination / "log", dirs_exist_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output (for failure messages)."""
        try:
            return "\n".join(self.server_log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no server output)"


@contextlib.contextmanager
def private_rabbitmq(keep_on_failure: bool = False) -> Iterator[PrivateRabbitMQ]:
    """A started private node, killed and removed (with its files) when the block ends."""
    base = Path(tempfile.mkdtemp(prefix="cnnect-rabbitmq-"))
    broker: PrivateRabbitMQ | None = None
    failed = False
    try:
        broker = PrivateRabbitMQ(base)
        broker.start()
        yield broker
    except BaseException:
        failed = True
        raise
    finally:
        if broker is not None:
            broker.close()
        if failed and keep_on_failure:
            log.warning("private RabbitMQ files kept in %s", base)
        else:
            shutil.rmtree(base, ignore_errors=True)
