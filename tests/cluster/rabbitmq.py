"""Three RabbitMQ nodes on this machine, clustered, for the node-failure tests of issue 20.

Each node is a tests/support/private_rabbitmq.py node of its own (name, AMQP and distribution
ports, data directory, HOME); the three share one Erlang cookie and one epmd (the first
node's, which outlives that node's crashes: it is ended when the cluster is). The nodes boot
side by side, then the second and third `join_cluster` the first. Quorum queues declared once
all three run get a member on each: RabbitMQ 3.10's default initial group size
(`quorum_cluster_size`) is 3 already, so neither `quorum_queue.initial_cluster_size` nor
`x-quorum-initial-group-size` is set.

    with rabbitmq_cluster() as cluster:
        cluster.amqp_url            # CNNECT_AMQP_URL naming the three nodes, comma-separated
        cluster.kill(node)          # SIGKILL, as a crash
        cluster.start(node)         # boot it again on its data: it rejoins
        cluster.pause(node)         # SIGSTOP its VM: partitioned from the others (and clients)
        cluster.resume(node)        # SIGCONT: the partition heals (autoheal)
        cluster.wait_healthy()      # every node running and clustered, every queue whole

A partition is a paused VM rather than a firewall in a network namespace: the nodes talk over
127.0.0.1 with each other and with the clients, so a namespace would mean moving one node's
addresses out of the loopback (veth pairs, routes) for a gain the issue does not ask for.
To the other nodes and the clients a stopped VM is a silent peer, as behind a dropping
firewall. `cluster_partition_handling = autoheal`, not `pause_minority`: a stopped VM never
sees itself in a minority, so under pause_minority it came back still running on its own,
the partition recorded and never healed (tried: the cluster stayed split for minutes);
autoheal restarts the losing side (the lone node) once the nodes see each other again."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import string
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.support.private_rabbitmq import PrivateRabbitMQ

log = logging.getLogger(__name__)

# Small for a 2-core machine running three nodes: a low memory watermark, a WAL of 32 MB
# (Ra's default is 512 MB, kept in memory until flushed), one scheduler that does not
# busy-wait, and statistics collected rarely.
NODE_CONFIG = """\
cluster_partition_handling = autoheal
net_ticktime = 10
vm_memory_high_watermark.absolute = 384MB
disk_free_limit.absolute = 50MB
raft.wal_max_size_bytes = 33554432
collect_statistics_interval = 30000
loopback_users = none
"""
NODE_ERL_ARGS = "+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none"


class ClusterUnhealthy(AssertionError):
    """The cluster did not become whole in time."""


class RabbitCluster:
    """Three clustered private nodes (see the module docstring)."""

    def __init__(self, base: Path, size: int = 3) -> None:
        self.base = base
        token = secrets.token_hex(3)
        cookie = "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))
        first = PrivateRabbitMQ(
            base / "node1",
            node=f"cnnect-{token}-1@localhost",
            cookie=cookie,
            config=NODE_CONFIG,
            erl_args=NODE_ERL_ARGS,
        )
        self._members = [first] + [
            PrivateRabbitMQ(
                base / f"node{n}",
                node=f"cnnect-{token}-{n}@localhost",
                cookie=cookie,
                epmd_port=first.epmd_port,
                config=NODE_CONFIG,
                erl_args=NODE_ERL_ARGS,
            )
            for n in range(2, size + 1)
        ]
        # The node names, first to last (the order of `amqp_url`).
        self.nodes: list[str] = [member.node for member in self._members]
        self._down: set[str] = set()
        self._paused: set[str] = set()

    # --- what clients see ------------------------------------------------------------------

    @property
    def amqp_url(self) -> str:
        """CNNECT_AMQP_URL for the cluster: every node's URL, comma-separated."""
        return ",".join(member.amqp_url for member in self._members)

    def url_of(self, node: str) -> str:
        """The AMQP URL of one node."""
        return self.member(node).amqp_url

    def member(self, node: str) -> PrivateRabbitMQ:
        """The private node named `node`."""
        for member in self._members:
            if member.node == node:
                return member
        raise KeyError(node)

    # --- forming --------------------------------------------------------------------------
    def form(self, timeout: float = 180.0) -> None:
        """Boot every node side by side, join them to the first, wait until healthy."""
        for member in self._members:
            member.launch()
        with ThreadPoolExecutor(len(self._members)) as pool:
            for booted in [pool.submit(m.await_startup, timeout) for m in self._members]:
                booted.result()
        first = self._members[0].node
        for member in self._members[1:]:
            # join_cluster resets the joining node first: it was empty anyway.
            member.ctl("stop_app")
            member.ctl("join_cluster", first, timeout=120)
            member.ctl("start_app", timeout=120)
        self.wait_healthy(timeout)

    # --- failures -------------------------------------------------------------------------
    def kill(self, node: str) -> None:
        """SIGKILL the node's VM, as a crash would."""
        self.member(node).kill()
        self._paused.discard(node)
        self._down.add(node)

    def start(self, node: str, timeout: float = 180.0) -> None:
        """Boot a killed node again on its own data; it rejoins the cluster."""
        self.member(node).start(timeout)
        self._down.discard(node)

    def pause(self, node: str) -> None:
        """Partition `node` from the others and its clients: SIGSTOP its VM."""
        self._signal_vm(node, signal.SIGSTOP)
        self._paused.add(node)

    def resume(self, node: str) -> None:
        """End the partition: SIGCONT the VM (it then stands down and rejoins by itself)."""
        self._signal_vm(node, signal.SIGCONT)
        self._paused.discard(node)

    def _signal_vm(self, node: str, sig: signal.Signals) -> None:
        pid = self.member(node).node_pid()
        if pid is None or node in self._down:
            raise RuntimeError(f"{node} is not running")
        os.kill(pid, sig)

    # --- observing ------------------------------------------------------------------------
    def _answering(self) -> list[PrivateRabbitMQ]:
        return [m for m in self._members if m.node not in self._down | self._paused]

    def ask(self, *args: str) -> Any:
        """The JSON answer of `rabbitmqctl <args>` (for a test's report of what went wrong)."""
        return self._ask(*args)

    def _ask(self, *args: str) -> Any:
        """The JSON answer of `rabbitmqctl <args>` from the first node that gives one."""
        failures = []
        for member in self._answering():
            result = member.ctl(*args, "--formatter", "json", check=False, timeout=60)
            if result.returncode == 0:
                return json.loads(result.stdout or "null")
            failures.append(f"{member.node}: {result.stdout}{result.stderr}".strip())
        raise RuntimeError(f"no node answered {args}: {failures}")

    def queues(self) -> list[dict[str, Any]]:
        """Every quorum queue with its leader, members and online members."""
        rows = self._ask("list_queues", "name", "type", "leader", "members", "online")
        return [row for row in rows or [] if row.get("type") == "quorum"]

    def leader_of_most_queues(self) -> str:
        """The node that leads the most quorum queues."""
        leaders = Counter(str(q["leader"]) for q in self.queues() if q.get("leader"))
        if not leaders:
            raise RuntimeError("no quorum queue has a leader")
        return leaders.most_common(1)[0][0]

    def client_nodes(self) -> dict[str, list[str]]:
        """Per node, the client library (`product`) of each AMQP connection it serves."""
        by_port = {m.amqp_port: m.node for m in self._members}
        clients: dict[str, list[str]] = {node: [] for node in self.nodes}
        for row in self._ask("list_connections", "port", "client_properties") or []:
            node = by_port.get(int(row["port"]))
            if node is not None:
                clients[node].append(_product(row.get("client_properties")))
        return clients

    def problems(self) -> list[str]:
        """What keeps the cluster from being whole now (nothing when healthy)."""
        if self._down or self._paused:
            return [f"down: {sorted(self._down)}, paused: {sorted(self._paused)}"]
        found = []
        for member in self._members:
            result = member.ctl("cluster_status", "--formatter", "json", check=False)
            if result.returncode != 0:
                found.append(f"{member.node} does not answer: {result.stderr.strip()[:200]}")
                continue
            status = json.loads(result.stdout)
            running = sorted(status.get("running_nodes", []))
            if running != sorted(self.nodes):
                found.append(f"{member.node} sees running {running}")
            if status.get("partitions"):
                found.append(f"{member.node} sees partitions {status['partitions']}")
        if found:
            return found
        for queue in self.queues():
            members, online = sorted(queue["members"]), sorted(queue["online"])
            if queue.get("leader") not in self.nodes:
                found.append(f"{queue['name']} has no leader")
            elif members != sorted(self.nodes) or online != members:
                found.append(f"{queue['name']}: members {members}, online {online}")
        return found

    def wait_healthy(self, timeout: float = 180.0) -> None:
        """Wait until every node runs, clustered, without partitions, and every quorum queue
        has a leader and all its members online."""
        started = time.monotonic()
        while True:
            found = self.problems()
            if not found:
                return
            if time.monotonic() - started > timeout:
                raise ClusterUnhealthy(f"not healthy after {timeout:.0f}s: {found[:5]}")
            time.sleep(1.0)

    # --- the end --------------------------------------------------------------------------
    def close(self) -> None:
        """Kill every node (the first, with the shared epmd, last)."""
        for member in reversed(self._members):
            try:
                member.close()
            except Exception:
                log.exception("closing %s", member.node)

    def save_logs(self, destination: Path) -> None:
        """Copy every node's logs under `destination`."""
        for n, member in enumerate(self._members, start=1):
            member.save_logs(destination / f"node{n}")


def _product(properties: Any) -> str:
    """The `product` of a connection's client properties (a list of triples in JSON)."""
    if isinstance(properties, dict):
        return str(properties.get("product", ""))
    for item in properties or []:
        if isinstance(item, list) and len(item) == 3 and item[0] == "product":
            return str(item[2])
    return ""


@contextlib.contextmanager
def rabbitmq_cluster(size: int = 3, keep_logs: Path | None = None) -> Iterator[RabbitCluster]:
    """A formed, healthy cluster of `size` nodes, killed and removed when the block ends
    (its logs copied to `keep_logs` first, if given, when the block failed)."""
    base = Path(tempfile.mkdtemp(prefix="cnnect-rabbit-cluster-"))
    cluster: RabbitCluster | None = None
    try:
        cluster = RabbitCluster(base, size)
        cluster.form()
        yield cluster
    except BaseException:
        if cluster is not None and keep_logs is not None:
            cluster.save_logs(keep_logs)
        raise
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(base, ignore_errors=True)
