"""`make bench` prints what sealing personal data costs, each figure beside its reference of
the same run, and the sealed appends hold no plain personal value."""

from __future__ import annotations

import json

import psycopg
import pytest

from bench import personal
from bench.common import Env
from shared.config import with_database
from tests.support.infra import Infra


def test_the_cost_of_sealing_is_printed_beside_its_references(
    infra: Infra, capsys: pytest.CaptureFixture[str]
) -> None:
    env = Env(postgres_url=infra.postgres_url, amqp_url=infra.amqp_url)
    try:
        personal.run(env, rounds=1, slice_s=0.2)
        url = with_database(infra.postgres_url, f"bench_{env.run_id}_personal")
        with psycopg.connect(url) as conn:
            found = conn.execute(
                "SELECT count(*) FILTER (WHERE data::text LIKE '%%Dubois%%'), count(*) "
                "FROM events WHERE stream_id LIKE 'order-sealed-%%'"
            ).fetchone()
        assert found is not None and found[0] == 0 and found[1] > 0
    finally:
        env.cleanup()
    figures = {f["name"]: f for f in map(json.loads, capsys.readouterr().out.splitlines())}
    assert 0 < figures["sealed_append_ratio"]["value"] < 2
    assert figures["append_sealed_delivery_details_per_s"]["value"] > 0
    assert figures["reveal_answer_us"]["reference_json_round_trip_us"] > 0
    assert figures["keyring_read_ms_p50"]["reference_select_1_ms_p50"] > 0
    assert figures["seal_text_us"]["value"] > 0 and figures["seal_file_ms_per_mb"]["value"] > 0
