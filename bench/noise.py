"""Sources of latency outside the code under test, measured alongside the latency test: write
transactions in other databases (they hold back every relay) and the host's scheduling delay
(other work on the machine), so that a noisy run can be told from a slow one."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from bench.common import Env

# The oldest transaction holding a transaction id in a database of someone else: until it
# ends, no relay on this server sees events committed after it began (READ_ALL_SQL reads
# below the cluster-wide snapshot xmin).
_FOREIGN_WRITER_AGE = """
SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0) * 1000 AS ms
FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND datname NOT LIKE %s
"""


class HorizonWatch:
    """Samples, every 20 ms, how long the oldest foreign write transaction has been open."""

    def __init__(self, env: Env) -> None:
        """Watch the server of `env`, ignoring this run's own databases."""
        self.env = env
        self.worst_ms = 0.0
        self.samples_over_10ms = 0

    @contextmanager
    def running(self) -> Iterator[HorizonWatch]:
        """Sample in a thread for the duration of the block."""
        stop = threading.Event()
        conn = psycopg.connect(self.env.postgres_url, autocommit=True)

        def sample() -> None:
            """Record the oldest foreign write transaction's age until stopped."""
            pattern = f"bench_{self.env.run_id}%"
            while not stop.wait(0.02):
                row = conn.execute(_FOREIGN_WRITER_AGE, (pattern,)).fetchone()
                age = float(row[0]) if row else 0.0
                self.worst_ms = max(self.worst_ms, age)
                self.samples_over_10ms += age > 10

        thread = threading.Thread(target=sample, name="horizon", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)
            conn.close()


# Sleeps 1 ms in a loop in a process of its own (no GIL shared with the bench) and reports
# how late it woke up: the scheduling delay every thread and server on this host also sees.
_JITTER = """
import json, sys, time
late = []
end = time.perf_counter() + float(sys.argv[1])
while time.perf_counter() < end:
    t = time.perf_counter(); time.sleep(0.001); late.append((time.perf_counter() - t) * 1000 - 1)
late.sort()
print(json.dumps({"p99_ms": late[int(len(late) * 0.99)], "max_ms": late[-1],
                  "over_20ms": sum(x > 20 for x in late)}))
"""


@contextmanager
def host_jitter(seconds: float) -> Iterator[dict[str, float]]:
    """Probe the host's scheduling delay for `seconds`; the dict is filled when the block ends."""
    probe = subprocess.Popen(
        [sys.executable, "-c", _JITTER, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    result: dict[str, float] = {}
    try:
        yield result
    finally:
        out, _ = probe.communicate(timeout=seconds + 30)
        result.update({k: round(v, 1) for k, v in json.loads(out).items()})
