"""`python -m tests.chaos [--duration S] [--rate N] [--seed N]` (what `make chaos` runs):
prints the counts and every violation; exits 1 on any violation."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from tests.chaos.run import ChaosConfig, run_chaos


def main(argv: list[str] | None = None) -> int:
    """Run chaos once and print the verdict."""
    parser = argparse.ArgumentParser(prog="python -m tests.chaos")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of faults")
    parser.add_argument("--rate", type=float, default=1.0, help="new orders per second")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between faults")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--logs", type=Path, default=None, help="keep process logs here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    config = ChaosConfig(args.duration, args.rate, fault_every_s=args.every, seed=args.seed)
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="cnnect-chaos-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    report = run_chaos(config, log_dir)
    print("\n".join(report.lines()))
    print(f"process logs: {log_dir}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
