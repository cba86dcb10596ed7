"""The partition of an ordering key, the routing key it makes, and a worker's subscriptions."""

from __future__ import annotations

import math
import subprocess
import sys
import uuid
from collections import Counter

import pytest

from services.registry import SUBSCRIPTIONS
from shared.config import ConfigurationError, load_settings
from shared.events.partitions import Placement, partition_of, placement_from_env
from shared.events.topology import Topology


def test_the_partition_of_a_key_never_changes() -> None:
    # CRC-32 (IEEE) of the UTF-8 key: relays and consumers of any version and any language
    # must agree on these, so a changed function fails here before it misroutes an order.
    assert [partition_of(key, 8) for key in ("ord-1", "ord-2", "ord-3", "ord-4")] == [
        7,
        5,
        3,
        0,
    ]
    assert partition_of("ord-0123456789ab", 8) == partition_of("ord-0123456789ab", 8)
    assert partition_of("ordre-été", 8) in range(8)  # non-ASCII keys hash their UTF-8 bytes


def test_another_process_computes_the_same_partitions() -> None:
    # Python's own hash() is salted per process; ours must not be.
    keys = [f"ord-{n:04d}" for n in range(50)]
    code = (
        "from shared.events.partitions import partition_of;"
        f"print([partition_of(k, 8) for k in {keys!r}])"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "random", "PYTHONPATH": "."},
    )
    assert other.stdout.strip() == str([partition_of(k, 8) for k in keys])


@pytest.mark.parametrize("partitions", [3, 8, 16])
@pytest.mark.parametrize("kind", ["random", "sequential"])
def test_order_ids_spread_evenly_over_the_partitions(partitions: int, kind: str) -> None:
    # Our order ids (`ord-` and 12 hex digits of a uuid4), and ids counting up.
    if kind == "random":
        keys = [f"ord-{uuid.uuid5(uuid.NAMESPACE_OID, str(n)).hex[:12]}" for n in range(20_000)]
    else:
        keys = [f"ord-{n:08d}" for n in range(20_000)]
    counts = Counter(partition_of(key, partitions) for key in keys)
    expected = len(keys) / partitions
    assert set(counts) == set(range(partitions))
    # As even as a fair random choice would be: each count within 4 standard deviations of
    # the mean (within 200 of the 2,500 orders each of 8 partitions gets).
    assert all(abs(count - expected) < 4 * math.sqrt(expected) for count in counts.values()), counts


def test_the_routing_key_carries_the_partition_and_each_queue_binds_its_own() -> None:
    topology = Topology("cnnect", partitions=8)
    key = topology.routing_key("orders.OrderPlaced", "ord-1")
    assert key == "orders.OrderPlaced.7"
    assert topology.queues("billing") == [f"cnnect.billing.p{k}" for k in range(8)]
    assert topology.dead_letter_routing_key("billing") == "cnnect.billing"


def test_one_partition_per_worker_first_then_standing_by_on_the_others() -> None:
    shares = [Placement(index, 3).first_and_later(8) for index in range(3)]
    assert [first for first, _ in shares] == [[0, 3, 6], [1, 4, 7], [2, 5]]
    for first, later in shares:
        assert sorted(first + later) == list(range(8)), "every worker stands by on every one"
    assert Placement().first_and_later(8) == (list(range(8)), [])


def test_the_placement_comes_from_the_environment_and_is_checked() -> None:
    env = {"CNNECT_WORKER_INDEX": "2", "CNNECT_WORKERS": "3", "CNNECT_STANDBY_DELAY_S": "0.5"}
    assert placement_from_env(env) == Placement(2, 3, 0.5)
    assert placement_from_env({}) == Placement(0, 1)
    for bad in ({"CNNECT_WORKER_INDEX": "3", "CNNECT_WORKERS": "3"}, {"CNNECT_WORKERS": "x"}):
        with pytest.raises(ConfigurationError):
            placement_from_env(bad)


def test_the_partitions_come_from_the_environment() -> None:
    assert load_settings("orders", {}).partitions == 8
    assert load_settings("orders", {"CNNECT_PARTITIONS": "4"}).partitions == 4
    with pytest.raises(ConfigurationError):
        load_settings("orders", {"CNNECT_PARTITIONS": "0"})


def test_every_subscription_is_a_producer_and_an_event_name() -> None:
    # The partition is appended as a third word: a subscription must have exactly two.
    for keys in SUBSCRIPTIONS.values():
        assert all(len(key.split(".")) == 2 for key in keys)
