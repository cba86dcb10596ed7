"""The position token a write answers with (read your writes: shared/events/consistency.py)
reads back what it says and refuses anything no service of ours could have given; waiting on
one against PostgreSQL's checkpoints is tests/integration/test_read_your_writes.py's."""

from __future__ import annotations

import pytest

from shared.events.consistency import PositionToken, PositionTokenError
from shared.events.store import Position


def test_a_position_token_reads_back_what_it_says_and_refuses_anything_else() -> None:
    token = PositionToken("orders", Position(9123, 42))
    assert str(token) == "orders:9123.42"
    assert PositionToken.parse(str(token)) == token
    for bad in (
        "",
        "orders",
        "orders:1",
        "orders:-1.2",
        "Orders:1.2",
        "orders:1.2;x",
        "x" * 99,
        f"orders:{2**64}.1",
        f"orders:1.{2**63}",
    ):
        with pytest.raises(PositionTokenError):
            PositionToken.parse(bad)
