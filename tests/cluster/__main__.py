"""`python -m tests.cluster [--min-duration S] [--rate N]` (what `make cluster` runs): the
system on a RabbitMQ cluster and a replicated PostgreSQL through node failures; prints the
counts, each failure's recovery time and every violation; exits 1 on any violation."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from tests.cluster.failures import FailureTimes
from tests.cluster.run import ClusterConfig, run_cluster


def main(argv: list[str] | None = None) -> int:
    """Run the cluster harness once and print the verdict."""
    parser = argparse.ArgumentParser(prog="python -m tests.cluster")
    parser.add_argument(
        "--duration",
        type=float,
        default=150.0,
        help="seconds of load at least (the load lasts until every failure is healed)",
    )
    parser.add_argument("--rate", type=float, default=1.0, help="new orders per second")
    parser.add_argument("--down", type=float, default=15.0, help="seconds a killed node stays down")
    parser.add_argument("--partition", type=float, default=30.0, help="seconds of partition")
    parser.add_argument("--logs", type=Path, default=None, help="keep process logs here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    times = FailureTimes(down_s=args.down, partition_s=args.partition)
    config = ClusterConfig(args.rate, args.duration, times=times)
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="cnnect-cluster-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    report = run_cluster(config, log_dir)
    print("\n".join(report.lines()))
    print(f"process logs: {log_dir}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
