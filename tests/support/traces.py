"""Where a person's plain data still is, on a running system: every table of every database
(text and JSON columns as text, byte columns byte by byte), every process's log, and every
message waiting in the broker (issue 21: after forgetting, nothing)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import pika
import psycopg
from psycopg import sql

from services.registry import SUBSCRIPTIONS
from shared.events.bus import blocking_connection
from tests.support.system import System


def in_databases(system: System, needles: Iterable[str]) -> list[str]:
    """`database.table: needle` for each table of the system's databases holding a needle."""
    found = []
    for service in sorted(system.databases):
        with psycopg.connect(system.database_url(service), autocommit=True) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
            byte_columns = conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = 'bytea'"
            ).fetchall()
            for needle in needles:
                for (table,) in tables:
                    # A row as text: every text, number, date and JSON column (bytes in hex).
                    query = sql.SQL("SELECT count(*) FROM {} t WHERE t::text ILIKE %s").format(
                        sql.Identifier(table)
                    )
                    if _count(conn, query, f"%{needle}%"):
                        found.append(f"{system.databases[service]}.{table}: {needle}")
                for table, column in byte_columns:
                    query = sql.SQL("SELECT count(*) FROM {} WHERE position(%s in {}) > 0").format(
                        sql.Identifier(table), sql.Identifier(column)
                    )
                    if _count(conn, query, needle.encode()):
                        found.append(f"{system.databases[service]}.{table}.{column}: {needle}")
    return found


def _count(conn: psycopg.Connection[tuple[int]], query: sql.Composed, value: object) -> int:
    row = conn.execute(query, (value,)).fetchone()
    return row[0] if row else 0


def in_logs(system: System, needles: Iterable[str]) -> list[str]:
    """`process: needle` for each process log holding a needle (case-insensitive)."""
    found = []
    for path in sorted(system.log_dir.glob("*.log")):
        text = path.read_text(errors="replace").lower()
        found += [f"{path.name}: {needle}" for needle in needles if needle.lower() in text]
    return found


def in_broker(system: System, needles: Iterable[str]) -> list[str]:
    """`queue: needle` for each message waiting in one of the system's queues (its consumers'
    partitions, dead letters, unrouted) that holds a needle. Peeked, not taken: every message
    read goes back to its queue when the connection closes."""
    topology = system.topology()
    queues = [topology.unrouted_queue]
    for consumer in SUBSCRIPTIONS:
        queues += [*topology.queues(consumer), topology.dead_letter_queue(consumer)]
    found = []
    with blocking_connection(system.infra.amqp_url) as connection:
        channel = connection.channel()
        for queue in queues:
            while True:
                try:
                    method, _, body = channel.basic_get(queue, auto_ack=False)
                except pika.exceptions.ChannelClosedByBroker:
                    channel = connection.channel()  # no such queue: nothing in it
                    break
                if method is None:
                    break
                text = body.decode(errors="replace").lower()
                found += [f"{queue}: {needle}" for needle in needles if needle.lower() in text]
        with contextlib.suppress(pika.exceptions.AMQPError):
            channel.close()
    return found
