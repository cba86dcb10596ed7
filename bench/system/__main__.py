"""`python -m bench.system` (`make bench-system`): the whole system under a rising load of
order lifecycles; one JSON figure per line on stdout, progress on stderr, a PNG chart."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from types import FrameType

from bench.common import note, report
from bench.system.actors import Customers, Staff, create_staff, sign_in
from bench.system.catchup import catch_up_s
from bench.system.chart import draw
from bench.system.client import Http, Recorder, open_session
from bench.system.figures import report_all, steady, windows
from bench.system.floor import hop_floor
from bench.system.launcher import BANK_SECRET, Launched, launched
from bench.system.lifecycle import World, lifecycle
from bench.system.load import Plan, Ramp, ramp
from bench.system.personal import PersonalCounters
from bench.system.profiling import profiled
from bench.system.resources import Usage, sampling
from bench.system.statements import StatementCounter
from tests.support.system import ROOT

STAFF = 3


def options(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    default = Plan()
    parser = argparse.ArgumentParser(prog="python -m bench.system", description=__doc__)
    add = parser.add_argument
    add("--duration", type=float, default=default.duration_s, help="seconds of load at most")
    add("--start-rate", type=float, default=default.start_rate, help="lifecycles/s at first")
    add("--rate-step", type=float, default=default.rate_step, help="added every --step-s")
    add("--step-s", type=float, default=default.step_s, help="seconds per rate step")
    add("--max-rate", type=float, default=default.max_rate, help="the rate is held there")
    add("--workers", type=int, default=1, help="worker processes per service")
    add("--max-inflight", type=int, default=default.max_inflight)
    add("--p99-limit-ms", type=float, default=default.p99_limit_ms, help="blow-up threshold")
    add("--drain-s", type=float, default=default.drain_s, help="wait for lifecycles in flight")
    add("--new-customer-every", type=int, default=10, help="1 in N orders signs up first")
    add("--warm-customers", type=int, default=20, help="signed up before the load")
    add("--poll-interval", type=float, default=0.1, help="seconds between polls")
    add("--poll-timeout", type=float, default=30.0, help="a step seen later is a failure")
    add("--idle-s", type=float, default=5.0, help="seconds measured idle before the load")
    add(
        "--floor-s",
        type=float,
        default=4.0,
        help="seconds measuring an empty Flask hop before the system starts (0: not measured)",
    )
    add("--chart", type=Path, default=None, help="PNG path (default artifacts/bench-system.png)")
    add("--profile", type=Path, default=None, help="py-spy every process into this folder")
    return parser.parse_args(argv)


def plan_of(args: argparse.Namespace) -> Plan:
    """The load plan the options describe."""
    return Plan(
        start_rate=args.start_rate,
        rate_step=args.rate_step,
        step_s=args.step_s,
        max_rate=args.max_rate,
        duration_s=args.duration,
        max_inflight=args.max_inflight,
        p99_limit_ms=args.p99_limit_ms,
        drain_s=args.drain_s,
    )


async def drive(
    env: Launched,
    recorder: Recorder,
    usage: Usage,
    args: argparse.Namespace,
    staff: list[str],
    statements: StatementCounter,
    personal: PersonalCounters,
) -> Ramp:
    """Sign the staff in, then run the ramp of lifecycles through the gateway."""
    plan = plan_of(args)
    async with open_session(plan.max_inflight + 50) as session:
        http = Http(env.system.url("gateway", ""), session, recorder)
        people = [await sign_in(http, email) for email in staff]
        world = World(
            http,
            Customers(http, env.system.namespace, args.new_customer_every),
            Staff(people),
            env.paypal,
            BANK_SECRET,
            args.poll_interval,
            args.poll_timeout,
        )
        await world.customers.warm_up(args.warm_customers)
        usage.mark("load")
        statements.mark("load")
        personal.mark("load")
        result = await ramp(plan, recorder, lambda n: lifecycle(world, n))
        usage.mark("end")
        statements.mark("end")
        personal.mark("end")
        return result


def _stop_on_term(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the processes are still stopped and dropped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Start the system, load it, catch up, report, draw."""
    args = options(argv)
    plan = plan_of(args)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    signal.signal(signal.SIGTERM, _stop_on_term)
    artifacts = Path(os.environ.get("CNNECT_ARTIFACTS", ROOT / "artifacts"))
    chart = args.chart or artifacts / "bench-system.png"
    began = time.monotonic()
    recorder = Recorder()
    # First, on a machine with nothing of ours running yet: what an empty hop costs here.
    floor = hop_floor(args.floor_s) if args.floor_s > 0 else None
    with launched(args.workers, artifacts / "bench-system-logs") as env:
        databases = list(env.system.databases.values())
        statements = StatementCounter(env.system.infra.postgres_url, databases)
        if (unavailable := statements.enable()) is not None:
            note(f"SQL statements not counted: pg_stat_statements not available ({unavailable})")
        personal = PersonalCounters(env.system.metrics_url(p) for p in env.system.commands)
        load_before = os.getloadavg()[0]
        with sampling(env.system.pids(), databases, recorder.now) as usage:
            time.sleep(args.idle_s)  # what the processes cost with nothing to do
            usage.mark("idle")
            staff = [f"staff{k}-{uuid.uuid4().hex[:6]}@bench.example" for k in range(STAFF)]
            create_staff(env.system, staff)
            with profiled(args.profile, env.system.pids(), plan.duration_s):
                result = asyncio.run(drive(env, recorder, usage, args, staff, statements, personal))
            try:
                caught_up: float | None = catch_up_s(env.system, recorder)
            except TimeoutError as exc:
                note(str(exc))
                caught_up = None
    window = steady(windows(recorder, result))
    title = (
        f"bench-system, {args.workers} worker(s) per service: "
        f"{window.lifecycles_per_s:.1f} lifecycles/s at {window.step.rate:g}/s offered, "
        f"p99 {window.p(0.99):.0f} ms"
    )
    path = draw(recorder, result, usage, window, chart, title)
    extra = {
        "workers": args.workers,
        "chart": str(path),
        # Other work on the machine competes for its 2 cores: say how busy it was before.
        "host_load_1m_before": round(load_before, 2),
    }
    figures = report_all(recorder, result, usage, caught_up, extra, floor, statements)
    completed = sum(1 for *_, ok in recorder.lifecycles if ok)
    personal.report(report, completed, figures.get("cpu_ms_per_lifecycle"))
    note(f"chart: {path}")
    note(f"finished in {time.monotonic() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
