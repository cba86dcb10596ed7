"""The question "does any event follow this position?", which relays and projection groups ask
after every batch, stays an index read however long the event table grows: prepared
statements get a generic plan, and PostgreSQL's generic plan for EXISTS was a sequential scan
of every event when none followed."""

from __future__ import annotations

from shared.events.store import EVENTS_FOLLOW_SQL, EventStore, Transaction

EVENTS = 20_000


def test_asking_whether_events_follow_reads_the_index_not_the_whole_table(
    store: EventStore,
) -> None:
    def plan(tx_id: str, position: int) -> str:
        def work(tx: Transaction) -> str:
            conn = tx.conn
            conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            query = EVENTS_FOLLOW_SQL.replace("%(tx_id)s", "$1").replace("%(position)s", "$2")
            conn.execute(f"PREPARE follows(text, bigint) AS SELECT {query} AS behind")
            try:
                rows = conn.execute(
                    f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE follows('{tx_id}', {position})"
                ).fetchall()
            finally:
                conn.execute("DEALLOCATE follows")
            return "\n".join(str(next(iter(row.values()))) for row in rows)

        return store.transact(work)

    store.query(
        "INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata) "
        "SELECT 'plan-' || g, 1, gen_random_uuid(), 'Noted', 1, '{}', '{}' "
        "FROM generate_series(1, %s) AS g",
        (EVENTS,),
    )
    store.query("ANALYZE events")
    [last] = store.query(
        "SELECT tx_id::text AS tx_id, position FROM events ORDER BY tx_id DESC, position DESC "
        "LIMIT 1"
    )
    for tx_id, position in ((last["tx_id"], last["position"]), ("1", 0)):
        shown = plan(tx_id, position)
        assert "Index Only Scan using events_commit_order" in shown, shown
        assert "Seq Scan" not in shown, shown
