"""Running a service: its definition, the wiring of its dependencies, and its processes
(`python -m services.<name> api|worker|relay|migrate|rebuild|lag`)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from flask import Flask

from shared.config import Settings, load_settings
from shared.events.appends import AppendListener
from shared.events.clock import Clock, OffsetClock, SystemClock
from shared.events.consumer import EventConsumer
from shared.events.contracts import CONTRACTS
from shared.events.database import open_pool, prepare_service_database
from shared.events.incoming import Handler, IncomingEvent
from shared.events.leadership import Leadership
from shared.events.partitions import Placement, placement_from_env
from shared.events.projections import Projection, ProjectionGroup, ProjectionRunner
from shared.events.relay import OutboxRelay, run_relay
from shared.events.scheduler import DeadlineHandler, Scheduler
from shared.events.store import EventStore, Transaction
from shared.events.topology import Topology, subscriptions
from shared.observability import telemetry
from shared.observability.logs import configure_logging
from shared.observability.ports import API_PORTS
from shared.personal.keyring import MemoryKeyring
from shared.personal.migration import seal_stored_data
from shared.personal.personal_data import PersonalData
from shared.personal.postgres_keyring import PostgresKeyring, open_keyring
from shared.personal.stored import PersonalDataMap

log = logging.getLogger(__name__)


@dataclass
class Context:
    """Everything a service's handlers and API need, wired once by `bootstrap`."""

    settings: Settings
    store: EventStore
    clock: Clock
    topology: Topology
    projections: Sequence[Projection] = ()
    # The service's own settings, parsed at start by its definition's `config`.
    config: object = None
    # Sealing and revealing the customers' personal data (shared/personal); memory contexts
    # keep their keys in memory.
    personal: PersonalData = field(default_factory=lambda: PersonalData(MemoryKeyring()))

    def close(self) -> None:
        """Close the connection pools."""
        self.store.pool.close()
        keyring = self.personal.keyring
        if isinstance(keyring, PostgresKeyring):
            keyring.close()


# A consumed integration event's handler: the service's context, the transaction the consumer
# runs it in (with the event's inbox row), the event.
EventHandler = Callable[[Context, Transaction, IncomingEvent], None]


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes a service: its tables, projections, handlers, deadlines and HTTP API."""

    name: str
    schema: str
    projections: Callable[[], Sequence[Projection]]
    # Event type -> handler: also what the service's queues are bound to (shared/events/topology).
    handlers: Mapping[str, EventHandler]
    create_app: Callable[[Context], Flask]
    deadlines: Callable[[Context], Mapping[str, DeadlineHandler]] = field(default=lambda ctx: {})
    # Further background loops of the worker (e.g. the e-mail sender), each run until `stop`.
    loops: Callable[[Context], Sequence[Callable[[threading.Event], None]]] = field(
        default=lambda ctx: ()
    )
    # The service's own settings (`CNNECT_<SERVICE>_*`) parsed: the context's `config`.
    config: Callable[[Settings], object] = field(default=lambda settings: None)
    # Where it keeps personal data, sealed (shared/personal/stored.py).
    personal_data: PersonalDataMap = field(default_factory=PersonalDataMap)

    def consumer_handlers(self, context: Context) -> dict[str, Handler]:
        """The event handlers as the consumer calls them: with the service's context."""
        return {kind: partial(handler, context) for kind, handler in self.handlers.items()}

    def all_schemas(self) -> list[str]:
        """DDL of the service's own tables and of its projections."""
        return [self.schema, *(p.schema for p in self.projections())]


def clock_from_env(environ: Mapping[str, str] | None = None) -> Clock:
    """The system clock, moved by `CNNECT_CLOCK_OFFSET_S` seconds when set (tests)."""
    env = os.environ if environ is None else environ
    offset = float(env.get("CNNECT_CLOCK_OFFSET_S", "0") or 0)
    return OffsetClock(timedelta(seconds=offset)) if offset else SystemClock()


def bootstrap(
    definition: ServiceDefinition,
    settings: Settings | None = None,
    clock: Clock | None = None,
    pool_size: int = 10,
) -> Context:
    """Create (if needed) and migrate the service database, and wire the dependencies."""
    settings = settings or load_settings(definition.name)
    config = definition.config(settings)  # a bad setting stops the start, naming its variable
    pool = open_pool(migrate(definition, settings), max_size=pool_size, name=definition.name)
    return Context(
        settings=settings,
        store=EventStore(pool, CONTRACTS),
        clock=clock or clock_from_env(),
        topology=Topology(namespace=settings.namespace, partitions=settings.partitions),
        projections=definition.projections(),
        config=config,
        personal=PersonalData(open_keyring(settings, definition.name), definition.name),
    )


def migrate(definition: ServiceDefinition, settings: Settings) -> str:
    """Create (if needed) and migrate the service database; its URL."""
    return prepare_service_database(
        settings.postgres_url,
        settings.database or f"cnnect_{definition.name}",
        *definition.all_schemas(),
    )


class Worker:
    """The background side of a service: consumer, projection runners, scheduler.

    A service may run several workers (`CNNECT_WORKERS`, each with its `CNNECT_WORKER_INDEX`).
    Each consumes the partitions the broker makes it active on (shared/events/partitions.py);
    each runs the scheduler and the service's loops, which claim their rows with
    `FOR UPDATE SKIP LOCKED` and so never fire one deadline or send one e-mail twice. The
    projection runners run in one worker at a time, the leader (shared/events/leadership.py):
    running them in every worker would be correct (each locks its checkpoint) but would read
    and discard the same batches n times over."""

    def __init__(
        self, definition: ServiceDefinition, context: Context, placement: Placement | None = None
    ) -> None:
        self.definition = definition
        self.context = context
        self.placement = placement or placement_from_env()
        self.consumer = EventConsumer(
            name=definition.name,
            store=context.store,
            amqp_url=context.settings.amqp_url,
            topology=context.topology,
            contracts=CONTRACTS,
            handlers=definition.consumer_handlers(context),
            routing_keys=subscriptions(definition.handlers, CONTRACTS),
            placement=self.placement,
        )
        projections = definition.projections()
        self.runners = [ProjectionRunner(context.store, p) for p in projections]  # their lags
        self.scheduler = Scheduler(context.store, context.clock, definition.deadlines(context))
        # The projections advance together, and wait for news of appends rather than polling.
        self.appends = AppendListener(context.settings.database_url)
        group = ProjectionGroup(context.store, projections)
        self.projections_leadership = Leadership(
            context.store.pool,
            f"{definition.name}-projections",
            [lambda term: group.run(term, self.appends.waiter())] if projections else [],
        )

    def start(self, stop: threading.Event) -> list[threading.Thread]:
        """Start every loop in its own thread."""
        targets: list[tuple[str, Callable[[], None]]] = [
            ("consumer", lambda: self.consumer.run(stop)),
            ("appends", lambda: self.appends.run(stop)),
            ("scheduler", lambda: self.scheduler.run(stop)),
            ("projections", lambda: self.projections_leadership.run(stop)),
        ]
        targets += [
            (f"loop-{n}", lambda loop=loop: loop(stop))  # type: ignore[misc]
            for n, loop in enumerate(self.definition.loops(self.context))
        ]
        threads = [threading.Thread(target=fn, name=name, daemon=True) for name, fn in targets]
        for thread in threads:
            thread.start()
        return threads


def _wait_for_signal() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> int:
    """The command line of one service."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{definition.name}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create the database and its tables")
    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--port", type=int, default=None)
    api.add_argument("--threads", type=int, default=16)
    sub.add_parser("worker", help="consume events, run projections and the scheduler")
    sub.add_parser("relay", help="publish integration events from the outbox")
    rebuild = sub.add_parser("rebuild", help="drop and replay projections from zero")
    rebuild.add_argument("projections", nargs="*")
    sub.add_parser("lag", help="print each projection's lag as JSON")
    args = parser.parse_args(argv)
    configure_logging(definition.name, args.command)
    settings = load_settings(definition.name)
    if args.command == "api":
        return _serve(definition, settings, args.port, args.threads)
    if args.command == "migrate":  # also where the service's own settings are not: the one-shot
        migrate(definition, settings)
        print(f"{definition.name}: database ready at {settings.database_url}")
        return seal_personal_data(definition, settings)
    context = bootstrap(definition, settings, pool_size=4 if args.command == "relay" else 10)
    try:
        return _run(definition, context, args)
    finally:
        context.close()


def _run(definition: ServiceDefinition, context: Context, args: argparse.Namespace) -> int:
    if args.command == "worker":
        stop = _wait_for_signal()
        worker = Worker(definition, context)
        threads = worker.start(stop)
        threads += telemetry.observe_worker(
            worker, threads, api_port(definition, context.settings), stop
        )
        log.info(
            "%s worker %d of %d started (%d partitions)",
            definition.name,
            worker.placement.index,
            worker.placement.workers,
            context.topology.partitions,
        )
        stop.wait()
        for thread in threads:
            thread.join(timeout=10)
    elif args.command == "relay":
        telemetry.observe_relay(api_port(definition, context.settings))
        run_relay(
            OutboxRelay(
                database_url=context.settings.database_url,
                amqp_url=context.settings.amqp_url,
                topology=context.topology,
                producer=definition.name,
                contracts=CONTRACTS,
            )
        )
    elif args.command == "rebuild":
        for projection in definition.projections():
            if not args.projections or projection.name in args.projections:
                count = telemetry.rebuild(
                    definition.name, ProjectionRunner(context.store, projection)
                )
                print(f"{definition.name}: rebuilt {projection.name} from {count} events")
    elif args.command == "lag":
        lags = {p.name: ProjectionRunner(context.store, p).lag() for p in definition.projections()}
        print(json.dumps({"service": definition.name, "lag": lags}))
    return 0


def seal_personal_data(definition: ServiceDefinition, settings: Settings) -> int:
    """Seal personal data stored before sealing, then rebuild the projections that copied it
    (shared/personal/migration.py); a run with nothing left to seal changes nothing."""
    if definition.personal_data == PersonalDataMap():
        return 0
    context = bootstrap(definition, settings, pool_size=2)
    try:
        report = seal_stored_data(context.store, context.personal, definition.personal_data)
        if report.sealed_anything:
            for projection in definition.projections():
                ProjectionRunner(context.store, projection).rebuild()
            print(
                f"{definition.name}: sealed personal data stored before sealing "
                f"({report.events} events, {report.rows} rows, {report.files} files); "
                "projections rebuilt"
            )
    finally:
        context.close()
    return 0


def api_port(definition: ServiceDefinition, settings: Settings) -> int:
    """The port of the service's API (`CNNECT_<SERVICE>_PORT`, else its own in API_PORTS)."""
    return int(settings.extra.get("port", API_PORTS[definition.name]))


def _serve(
    definition: ServiceDefinition, settings: Settings, port: int | None, threads: int
) -> int:
    from shared.web.server import serve

    # Runs in the worker after the fork: the pool is opened there, never inherited.
    serve(
        lambda: definition.create_app(bootstrap(definition, settings)),
        port or api_port(definition, settings),
        threads,
    )
    return 0


def run_module(definition: ServiceDefinition) -> None:
    """Entry point of `python -m services.<name>`."""
    sys.exit(main(definition))
