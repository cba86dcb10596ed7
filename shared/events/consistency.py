"""Read your writes: a write's answer carries the position its events reached in the commit
order; a read handed that position waits (bounded) until the service's projections have
passed it, so a page shown after a form never says "not found" for what was just done.

The position travels as an opaque-looking token `<service>:<tx_id>.<position>` in the
`CNNECT-Position` header. A read that is not handed one never waits; a read handed another
service's token ignores it (its positions mean nothing here)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from shared.events.store import EventStore, Position

HEADER = "CNNECT-Position"
WAIT_S = 2.0  # how long a read waits at most for its projections, then answers as it is
FIRST_PAUSE_S = 0.005  # the first pause between looks at the checkpoints, doubled each time
LONGEST_PAUSE_S = 0.05

_TOKEN = re.compile(
    r"(?P<service>[a-z][a-z0-9_-]{0,40}):(?P<tx_id>\d{1,20})\.(?P<position>\d{1,20})"
)


class PositionTokenError(ValueError):
    """A position token that no service of ours could have given."""


@dataclass(frozen=True)
class PositionToken:
    """A place in one service's commit order, as a write's answer hands it out."""

    service: str
    position: Position

    def __str__(self) -> str:
        return f"{self.service}:{self.position.tx_id}.{self.position.position}"

    @classmethod
    def parse(cls, text: str) -> PositionToken:
        """The token `text` stands for (PositionTokenError when it is not one)."""
        found = _TOKEN.fullmatch(text.strip())
        # Beyond PostgreSQL's xid8 and bigint, no event ever stood there.
        if found is None or int(found["tx_id"]) >= 2**64 or int(found["position"]) >= 2**63:
            raise PositionTokenError(
                f"{HEADER} must be a position a write answered with, like orders:1234.56"
            )
        position = Position(int(found["tx_id"]), int(found["position"]))
        return cls(found["service"], position)


# Every checkpoint named must be at or beyond the position; a projection that never ran has
# no row and has passed nothing.
_PASSED_SQL = """
SELECT count(*) AS found,
       count(*) FILTER (WHERE (tx_id, position) < (%s::xid8, %s)) AS behind
FROM checkpoints WHERE name = ANY(%s)
"""


def projections_passed(store: EventStore, checkpoints: Sequence[str], position: Position) -> bool:
    """Whether every checkpoint named has applied the events up to `position`."""
    rows = store.query(_PASSED_SQL, (str(position.tx_id), position.position, list(checkpoints)))
    return bool(rows) and rows[0]["found"] == len(set(checkpoints)) and rows[0]["behind"] == 0


def head(store: EventStore) -> Position | None:
    """The last event in commit order (None when the store is empty): an upper bound of
    where any write committed so far reached."""
    rows = store.query(
        "SELECT tx_id::text AS tx_id, position FROM events "
        "ORDER BY tx_id DESC, position DESC LIMIT 1"
    )
    return Position(int(rows[0]["tx_id"]), int(rows[0]["position"])) if rows else None


def wait_until_passed(
    store: EventStore,
    checkpoints: Sequence[str],
    position: Position,
    timeout_s: float = WAIT_S,
) -> bool:
    """Wait until every checkpoint named has passed `position`, or `timeout_s`; True when
    they have. The projections commit their checkpoints with their rows, so once this is
    true their tables show every event up to `position`. A position beyond the store's last
    event is none a write reached (made up, or of another database): False at once."""
    if not checkpoints:
        return True
    deadline = time.monotonic() + timeout_s
    if projections_passed(store, checkpoints, position):
        return True
    latest = head(store)
    if latest is None or position > latest:
        return False
    pause = FIRST_PAUSE_S
    while (left := deadline - time.monotonic()) > 0:
        # A short poll, not LISTEN: a checkpoint moving is no event appended (nothing
        # notifies it), and a projection usually passes a fresh write within milliseconds.
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_PAUSE_S)
        if projections_passed(store, checkpoints, position):
            return True
    return False
