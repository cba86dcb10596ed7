"""A relay or a consumer of these tests run as a process of its own (`python -m`), for the
fault tests that kill it at arbitrary moments and start it again."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[2]


def connection_parser(description: str | None = None) -> argparse.ArgumentParser:
    """The process's options: where its database, broker and namespace are."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--namespace", required=True)
    return parser


def log_to_stderr(name: str, quiet: str) -> None:
    """The process logs INFO and above to stderr, each line naming it (`name[pid]`); the
    client library `quiet` only its warnings."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format=f"%(asctime)s {name}[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger(quiet).setLevel(logging.WARNING)


def start_module(
    module: str,
    database_url: str,
    amqp_url: str,
    namespace: str,
    args: Sequence[str],
    log: IO[bytes] | None,
) -> subprocess.Popen[bytes]:
    """Start `python -m <module>` with this interpreter at the repository's root, on the
    database, broker and namespace given (its options --database-url, --amqp-url and
    --namespace) and with `args`, its output to `log` (or nowhere); the caller waits for or
    ends it."""
    connection = ["--database-url", database_url, "--amqp-url", amqp_url, "--namespace", namespace]
    return subprocess.Popen(
        [sys.executable, "-m", module, *connection, *args],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
