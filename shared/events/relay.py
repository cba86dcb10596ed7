"""The outbox relay: publishes a service's integration events, in commit order, to the topic
exchange with publisher confirms, and moves its checkpoint only after the broker confirmed.

A crash anywhere can make it publish a message again (consumers drop duplicates through their
inbox), never skip one: the checkpoint only ever names events the broker has confirmed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from uuid import UUID

import aiormq
import aiormq.abc
import psycopg
from psycopg.rows import dict_row

from shared.config import broker_urls
from shared.events.appends import APPENDED_CHANNEL, FALLBACK_S, wait_for_append
from shared.events.contracts import ContractRegistry, Envelope, encode_envelope
from shared.events.errors import BrokerUnavailableError, PublishNotConfirmedError
from shared.events.store import (
    READ_AHEAD_BODY,
    START,
    Position,
    RecordedEvent,
    row_to_event,
)
from shared.events.topology import Topology
from shared.observability import events as observed

log = logging.getLogger(__name__)

CHECKPOINT = "outbox-relay"


def correlation_of(event: RecordedEvent) -> UUID:
    """The correlation id an event travels with (its own id when it has none)."""
    return UUID(str(event.metadata.get("correlation_id") or event.event_id))


def envelope_of(event: RecordedEvent, producer: str) -> Envelope:
    """The integration envelope of a stored event."""
    meta = event.metadata
    return Envelope(
        event_id=event.event_id,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=event.recorded_at,
        correlation_id=correlation_of(event),
        causation_id=UUID(str(meta["causation_id"])) if meta.get("causation_id") else None,
        producer=producer,
        stream_id=event.stream_id,
        stream_version=event.version,
        ordering_key=str(meta.get("ordering_key") or event.data.get("order_id") or event.stream_id),
        data=dict(event.data),
    )


@dataclass
class RelayStats:
    """What the relay did since it started."""

    published: int = 0
    batches: int = 0
    polls: int = 0
    reconnects: int = 0


class OutboxRelay:
    """Reads the `events` table after its checkpoint and publishes integration events."""

    def __init__(
        self,
        *,
        database_url: str,
        amqp_url: str,
        topology: Topology,
        producer: str,
        contracts: ContractRegistry,
        batch_size: int = 1000,
        idle_wait: float = 0.005,
        fallback_s: float = FALLBACK_S,
        max_backoff: float = 5.0,
    ) -> None:
        self.database_url = database_url
        self.amqp_url = amqp_url
        self.topology = topology
        self.producer = producer
        self.contracts = contracts
        self.types = contracts.published_by(producer)
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.fallback_s = fallback_s
        self.max_backoff = max_backoff
        self.stats = RelayStats()
        self._db: psycopg.AsyncConnection[dict[str, object]] | None = None
        self._listen: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._position: Position | None = None  # what was published: the checkpoint to be
        self._unsaved = False  # `_position` not saved yet: the next read saves it
        self._behind = False  # events after the last read that the horizon held back
        self._amqp: aiormq.abc.AbstractConnection | None = None
        self._channel: aiormq.abc.AbstractChannel | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set, reconnecting with capped backoff after any failure."""
        backoff = 0.1
        while not stop.is_set():
            try:
                await self._connect()
                backoff = 0.1
                while not stop.is_set():
                    # A short batch read all there was: go straight to the check below
                    # instead of reading again, which would mostly find nothing.
                    read = await self.publish_batch()
                    if read >= self.batch_size:
                        continue
                    # The read said what still waits.
                    if self._behind:
                        # Newer events wait behind a transaction still open, which may append
                        # nothing and so never notify: look again soon.
                        await _wait(stop, self.idle_wait)
                    elif self._unsaved:
                        # The next read saves the checkpoint: soon, news or not, so that an
                        # idle relay's checkpoint still reaches what it published.
                        await self._news(stop, SAVE_WITHIN_S)
                    else:
                        await self._news(stop)
            except (
                TimeoutError,
                BrokerUnavailableError,
                PublishNotConfirmedError,
                psycopg.OperationalError,
                aiormq.exceptions.AMQPError,
                # basic_publish on a channel the broker closed while the relay was idle raises
                # this RuntimeError (not an AMQPError): the broker went away, reconnect.
                aiormq.exceptions.ChannelInvalidStateError,
                ConnectionError,
                OSError,
            ) as exc:
                log.warning("relay %s: %r; reconnecting in %.1fs", self.producer, exc, backoff)
                backoff = await self._pause(stop, backoff)
            except Exception:
                # Anything else is a bug or an unforeseen broker answer: say so loudly, but
                # keep the relay alive (it restarts from its checkpoint, losing nothing).
                log.exception("relay %s failed; restarting in %.1fs", self.producer, backoff)
                backoff = await self._pause(stop, backoff)
        await self._save_published()
        await self.close()

    async def _save_published(self) -> None:
        """On a clean stop, save the checkpoint no read saved yet (else the next relay would
        publish the last batch again, for the consumers' inboxes to absorb)."""
        if not self._unsaved or self._db is None or self._db.closed:
            return
        assert self._position is not None
        with contextlib.suppress(psycopg.Error):
            await self._db.execute(
                _SAVE_AND_READ,
                {
                    "save": True,
                    "tx_id": str(self._position.tx_id),
                    "position": self._position.position,
                    "limit": 0,
                },
            )
            self._unsaved = False

    async def _news(self, stop: asyncio.Event, within: float | None = None) -> None:
        """Wait for a notice of appended events (shared/events/appends.py), `stop`, or the
        fallback bound (`within`, if given): a notice lost while reconnecting costs at most
        that long."""
        assert self._listen is not None
        bound = self.fallback_s if within is None else within
        waiting = asyncio.ensure_future(wait_for_append(self._listen, bound))
        stopping = asyncio.ensure_future(stop.wait())
        done, pending = await asyncio.wait({waiting, stopping}, return_when=FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()  # a broken listening connection raises here: reconnect

    async def _pause(self, stop: asyncio.Event, backoff: float) -> float:
        self.stats.reconnects += 1
        await self.close()
        await _wait(stop, backoff)
        return min(backoff * 2, self.max_backoff)

    async def _connect(self) -> None:
        if self._db is None or self._db.closed:
            self._db = await psycopg.AsyncConnection.connect(
                self.database_url, autocommit=True, row_factory=dict_row
            )
            # The checkpoint need not wait for the disk: a checkpoint lost in a crash only
            # makes the relay publish again what consumers then drop as duplicates.
            await self._db.execute("SET synchronous_commit = off")
            self._position = await self._checkpoint()
            self._unsaved = False
        if self._listen is None or self._listen.closed:
            # LISTEN before the first read: an append committed after it always wakes us.
            self._listen = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
            await self._listen.execute(f"LISTEN {APPENDED_CHANNEL}")
        if self._channel is None or self._channel.is_closed:
            self._amqp = await first_live_broker(self.amqp_url)
            self._channel = await self._amqp.channel(publisher_confirms=True)
            await self._channel.exchange_declare(
                self.topology.unrouted_exchange, exchange_type="fanout", durable=True
            )
            await self._channel.exchange_declare(
                self.topology.exchange,
                exchange_type="topic",
                durable=True,
                arguments={"alternate-exchange": self.topology.unrouted_exchange},
            )

    async def close(self) -> None:
        """Close the broker and database connections."""
        amqp, db, listen = self._amqp, self._db, self._listen
        self._amqp = self._channel = self._db = self._listen = None
        self._position = None
        if amqp is not None:
            try:
                await asyncio.wait_for(amqp.close(), timeout=2)
            except Exception as exc:
                log.debug("closing broker connection: %r", exc)
        for conn in (db, listen):
            if conn is not None:
                await conn.close()

    async def publish_batch(self) -> int:
        """Publish the next batch after the checkpoint; returns how many events it read.

        One statement saves the checkpoint of the batch before (once the broker confirmed
        it), reads this one, and says whether the horizon holds back events after it."""
        # The relay is its checkpoint's only writer: `_connect` reads it, then it is kept here.
        assert self._db is not None and self._channel is not None and self._position is not None
        published = self._position
        cursor = await self._db.execute(
            _SAVE_AND_READ,
            {
                "save": self._unsaved,
                "tx_id": str(published.tx_id),
                "position": published.position,
                "limit": self.batch_size,
            },
        )
        rows = await cursor.fetchall()
        self._unsaved = False
        self.stats.polls += 1
        self._behind = bool(rows and rows[0]["behind"])
        if not rows or rows[0]["position"] is None:
            return 0
        events = [row_to_event(row, self.contracts) for row in rows]
        await self._publish([e for e in events if e.type in self.types])
        # Only now, every message of the batch confirmed, may the checkpoint move past it (in
        # the next read's statement: a crash before it publishes the batch again, which the
        # consumers' inboxes absorb).
        self._position = events[-1].commit_position
        self._unsaved = True
        self.stats.batches += 1
        return len(events)

    async def _publish(self, events: Sequence[RecordedEvent]) -> None:
        assert self._channel is not None
        channel = self._channel
        # All publishes of the batch are in flight at once; the broker confirms them in any
        # order. The batch counts only when every one is acked (a nack or return raises).
        envelopes = [(event, envelope_of(event, self.producer)) for event in events]
        confirmations = [
            channel.basic_publish(
                encode_envelope(envelope),
                exchange=self.topology.exchange,
                # The partition in the key keeps all events of one order in one queue of
                # each consuming service (shared/events/partitions.py).
                routing_key=self.topology.routing_key(envelope.routing_key, envelope.ordering_key),
                mandatory=True,
                properties=aiormq.spec.Basic.Properties(
                    content_type="application/json",
                    delivery_mode=2,
                    message_id=str(event.event_id),
                    correlation_id=str(correlation_of(event)),
                    message_type=event.type,
                    timestamp=event.recorded_at,
                    app_id=self.producer,
                ),
                timeout=30,
            )
            for event, envelope in envelopes
        ]
        results = await asyncio.gather(*confirmations, return_exceptions=True)
        for result in results:
            if isinstance(result, aiormq.exceptions.DeliveryError | aiormq.exceptions.PublishError):
                raise PublishNotConfirmedError(f"broker did not confirm: {result!r}")
            if isinstance(result, BaseException):
                raise result
            if not isinstance(result, aiormq.spec.Basic.Ack):
                raise PublishNotConfirmedError(f"broker answered {result!r}")
        self.stats.published += len(events)
        observed.published(self.producer, events)

    async def _checkpoint(self) -> Position:
        assert self._db is not None
        cursor = await self._db.execute(
            "SELECT tx_id::text AS tx_id, position FROM checkpoints WHERE name = %s", (CHECKPOINT,)
        )
        row = await cursor.fetchone()
        return Position(int(str(row["tx_id"])), int(str(row["position"]))) if row else START


# How soon an idle relay saves the checkpoint of what it published: the next read saves it,
# and comes within this long even when no append is notified.
SAVE_WITHIN_S = 0.25

# The relay's one statement per batch: the checkpoint moved to what it published when it was
# not saved yet (%(save)s), the batch after it read, and whether events follow the batch that
# the horizon holds back (the relay then looks again soon: their transaction may append
# nothing and never notify). One row, its event columns NULL, when there is no batch.
_SAVE_AND_READ = f"""
WITH saved AS (
    INSERT INTO checkpoints (name, tx_id, position)
    SELECT '{CHECKPOINT}', %(tx_id)s::xid8, %(position)s WHERE %(save)s
    ON CONFLICT (name) DO UPDATE SET tx_id = excluded.tx_id, position = excluded.position,
        updated_at = now()
), {READ_AHEAD_BODY}"""


async def first_live_broker(amqp_url: str, timeout: float = 5.0) -> aiormq.abc.AbstractConnection:
    """A connection to the first broker node `amqp_url` names that answers within `timeout`
    (aiormq takes one URL: the nodes are tried in order); the last node's error if none does."""
    failure: BaseException | None = None
    for url in broker_urls(amqp_url):
        try:
            return await asyncio.wait_for(aiormq.connect(url), timeout=timeout)
        except (TimeoutError, aiormq.exceptions.AMQPError, ConnectionError, OSError) as exc:
            log.info(
                "broker node %s: %r; trying the next", urlsplit(url).netloc.split("@")[-1], exc
            )
            failure = exc
    assert failure is not None  # broker_urls names at least one node
    raise failure


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def run_relay(relay: OutboxRelay) -> None:
    """Run a relay in this process until SIGTERM or SIGINT."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        started = time.monotonic()
        await relay.run(stop)
        log.info(
            "relay %s stopped after %.0fs: %s",
            relay.producer,
            time.monotonic() - started,
            relay.stats,
        )

    asyncio.run(main())
